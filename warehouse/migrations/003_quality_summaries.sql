-- One row per ingest run assessed by the news_quality DAG: how its figures compare with the reference series.
-- Key: ingest_run_id.
CREATE TABLE IF NOT EXISTS quality_summaries (
    ingest_run_id  VARCHAR NOT NULL,        -- the runs.run_id whose figures were assessed
    assessed_at    TIMESTAMPTZ NOT NULL,
    assessed_by    VARCHAR NOT NULL,        -- the news_quality run
    articles       INTEGER NOT NULL,        -- articles whose figures the run loaded
    figures        INTEGER NOT NULL,
    comparable     INTEGER NOT NULL,        -- figures with an official value to compare against
    agrees         INTEGER NOT NULL,
    disagrees      INTEGER NOT NULL,
    quarantined    INTEGER NOT NULL,
    disagreeing    VARCHAR                  -- JSON: up to 10 disagreeing figures (outlet, year, reported, official, url)
);
