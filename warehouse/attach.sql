-- Attach the lake read-only for an analyst's DuckDB CLI, run from the repository root:
--   .venv/bin/duckdb -init warehouse/attach.sql                 (a prompt; `make sql` does this)
--   .venv/bin/duckdb -init warehouse/attach.sql -c "SELECT * FROM reported_vs_official"
-- The extensions load from the venv's PyPI wheels, so nothing is downloaded. DATA_PATH is read from the catalog.
-- A PostgreSQL catalog: load postgres_scanner instead and ATTACH 'ducklake:postgres:dbname=... host=...'.
LOAD '.venv/lib/python3.11/site-packages/duckdb_extension_ducklake/extensions/v1.5.5/ducklake.duckdb_extension';
LOAD '.venv/lib/python3.11/site-packages/duckdb_extension_sqlite_scanner/extensions/v1.5.5/sqlite_scanner.duckdb_extension';
ATTACH 'ducklake:sqlite:warehouse/lake/catalog.sqlite' AS news (READ_ONLY);
USE news;
