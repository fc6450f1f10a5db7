"""Standardisation of identities and the Splink linkage model."""
