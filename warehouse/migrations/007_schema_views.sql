-- The view files applied, by checksum: migrate() recreates a view only when its file changed, so a run does not
-- drop and recreate every view (each of which would be a new DuckLake snapshot). Key: name.
CREATE TABLE IF NOT EXISTS schema_views (
    name       VARCHAR NOT NULL,             -- file name under warehouse/views/
    checksum   VARCHAR NOT NULL,             -- sha256 of the file
    applied_at TIMESTAMPTZ NOT NULL
);
