"""Pure domain rules: enums, value objects and area accounting on shapely geometries (no I/O)."""
