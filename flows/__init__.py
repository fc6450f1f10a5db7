"""Prefect flows: thin compositions of named steps (ingest, link, findings, publish).

Each flow file reads as the story of a run; the work lives in the steps it calls.
"""
