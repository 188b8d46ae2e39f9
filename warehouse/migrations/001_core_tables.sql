-- The raw, core and reference layers. DuckLake has no keys: natural keys are noted per table and enforced by MERGE.

-- One row per pipeline run (CLI or Airflow). Key: run_id.
CREATE TABLE IF NOT EXISTS runs (
    run_id            VARCHAR NOT NULL,
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
    trigger           VARCHAR NOT NULL,      -- cli | demo | airflow
    status            VARCHAR NOT NULL,      -- running | success | failed
    extractor_version VARCHAR,
    counts            VARCHAR                -- JSON object of per-stage counts
);

-- One row per feed per poll: the ingestion log. Key: (run_id, feed).
CREATE TABLE IF NOT EXISTS feed_polls (
    run_id        VARCHAR NOT NULL,
    feed          VARCHAR NOT NULL,
    url           VARCHAR NOT NULL,
    polled_at     TIMESTAMPTZ NOT NULL,
    outcome       VARCHAR NOT NULL,          -- changed | not_modified | unchanged | error
    status_code   INTEGER,
    etag          VARCHAR,
    last_modified VARCHAR,
    body_sha256   VARCHAR,
    entries_seen  INTEGER NOT NULL,
    entries_new   INTEGER NOT NULL,
    error         VARCHAR,
    elapsed_ms    INTEGER
);

-- Every feed entry ever seen. Key: url (canonical).
CREATE TABLE IF NOT EXISTS entries (
    url           VARCHAR NOT NULL,
    feed          VARCHAR NOT NULL,
    topic         VARCHAR NOT NULL,
    guid          VARCHAR NOT NULL,
    title         VARCHAR,
    published_at  TIMESTAMPTZ,
    summary       VARCHAR,
    first_seen_at TIMESTAMPTZ NOT NULL,
    run_id        VARCHAR NOT NULL
);

-- The latest fetch of each entry's page; the body is in the raw archive under body_sha256. Key: url.
CREATE TABLE IF NOT EXISTS pages (
    url           VARCHAR NOT NULL,
    final_url     VARCHAR,
    fetched_at    TIMESTAMPTZ NOT NULL,
    status_code   INTEGER,
    content_type  VARCHAR,
    body_sha256   VARCHAR,
    size_bytes    BIGINT,
    error         VARCHAR,                   -- why there is no usable body (NULL when fetched)
    attempts      INTEGER NOT NULL,
    run_id        VARCHAR NOT NULL
);

-- Article text and metadata per page; status no_article keeps pages without text visible. Key: url.
CREATE TABLE IF NOT EXISTS articles (
    url               VARCHAR NOT NULL,
    body_sha256       VARCHAR NOT NULL,
    status            VARCHAR NOT NULL,      -- ok | no_article
    reason            VARCHAR,
    title             VARCHAR,
    author            VARCHAR,
    published_at      TIMESTAMPTZ,
    published_source  VARCHAR,               -- feed | html-meta | htmldate | url | none
    site_name         VARCHAR,
    language          VARCHAR,
    canonical_url     VARCHAR,
    text              VARCHAR NOT NULL,
    extraction_method VARCHAR NOT NULL,
    extracted_at      TIMESTAMPTZ NOT NULL,
    run_id            VARCHAR NOT NULL
);

-- Figures as reported. Key: (article_url, span_start, span_end, kind).
CREATE TABLE IF NOT EXISTS figures (
    article_url       VARCHAR NOT NULL,
    figure_no         INTEGER NOT NULL,      -- order of appearance in the article, from 1
    kind              VARCHAR NOT NULL,      -- count | ratio | percent
    value             DOUBLE,
    low               DOUBLE,
    high              DOUBLE,
    hedge             VARCHAR NOT NULL,      -- exact | approximate | at_least | at_most
    metric            VARCHAR NOT NULL,      -- arrivals | cumulative | other
    sense             VARCHAR,               -- change | share (ratio, percent)
    subgroup          VARCHAR,               -- women | men | elite | other
    year              INTEGER,
    period            VARCHAR,               -- NULL for a whole year; Q1..Q4, H1, H2, Jan-Sep, December...
    span_start        INTEGER NOT NULL,      -- character offsets into articles.text
    span_end          INTEGER NOT NULL,
    span_text         VARCHAR NOT NULL,      -- articles.text[span_start:span_end]
    sentence          VARCHAR NOT NULL,
    topic             VARCHAR NOT NULL,
    extractor_version VARCHAR NOT NULL,
    loaded_at         TIMESTAMPTZ NOT NULL,
    run_id            VARCHAR NOT NULL
);

-- Rows that failed a schema check, one row per failed check. Key: (table_name, row_key, check_name, column_name).
CREATE TABLE IF NOT EXISTS quarantine (
    run_id         VARCHAR NOT NULL,
    table_name     VARCHAR NOT NULL,
    row_key        VARCHAR NOT NULL,         -- the natural key of the failing row, e.g. url#span_start-span_end
    check_name     VARCHAR NOT NULL,
    column_name    VARCHAR,
    bad_value      VARCHAR,
    reason         VARCHAR NOT NULL,
    article_url    VARCHAR,
    row_json       VARCHAR NOT NULL,         -- the whole failing row, to fix and reload
    quarantined_at TIMESTAMPTZ NOT NULL
);

-- Official series with revisions. Key: (topic, metric, subgroup, year, status, as_of).
CREATE TABLE IF NOT EXISTS reference_series (
    topic      VARCHAR NOT NULL,
    metric     VARCHAR NOT NULL,             -- arrivals | cumulative
    subgroup   VARCHAR,                      -- NULL for all; men | women
    year       INTEGER NOT NULL,
    value      DOUBLE NOT NULL,
    status     VARCHAR NOT NULL,             -- final | preliminary
    as_of      DATE,
    confidence VARCHAR NOT NULL,             -- confirmed | sourced | reconstructed
    source     VARCHAR NOT NULL,
    notes      VARCHAR
);
