"""Quoting for SQL we generate from the contract models: identifiers and string literals."""


def quote(name: str) -> str:
    """A DuckDB identifier, quoted (headers may be Chinese or contain spaces)."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A DuckDB string literal."""
    return "'" + value.replace("'", "''") + "'"
