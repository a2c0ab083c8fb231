"""Storage: tables, engines, migrations and the bitemporal write helpers."""
