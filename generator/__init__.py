"""The world generator: a synthetic population, its departments' extracts and the truth."""
