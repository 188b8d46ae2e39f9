-- Attach the default lake (warehouse/lake/, the demo's) read-only for an analyst's DuckDB CLI, run from the repository root:
--   .venv/bin/duckdb -init warehouse/attach.sql -c "SELECT * FROM reported_vs_official"
-- The extensions load from the venv's PyPI wheels, so nothing is downloaded. DATA_PATH is read from the catalog.
-- Another lake (NEWSFIGURES_CATALOG, NEWSFIGURES_DATA_PATH, a PostgreSQL catalog): `make sql` attaches the configured
-- one, and `.venv/bin/newsfigures sql --print-attach > my-attach.sql` writes this file for it.
LOAD '.venv/lib/python3.11/site-packages/duckdb_extension_ducklake/extensions/v1.5.5/ducklake.duckdb_extension';
LOAD '.venv/lib/python3.11/site-packages/duckdb_extension_sqlite_scanner/extensions/v1.5.5/sqlite_scanner.duckdb_extension';
ATTACH 'ducklake:sqlite:warehouse/lake/catalog.sqlite' AS news (READ_ONLY);
USE news;
