"""PEP 249 layer: exceptions, type objects, and DuckDB-to-engine error translation."""
