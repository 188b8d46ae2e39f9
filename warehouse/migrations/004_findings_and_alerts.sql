-- Disagreement findings stored on each figure (JSON list of {"check", "message"}; NULL: none), and the alert log.
ALTER TABLE figures ADD COLUMN IF NOT EXISTS findings VARCHAR;

-- One row per schema-failure alert decided, sent or summarised. Key: (run_id, table_name).
CREATE TABLE IF NOT EXISTS alerts (
    run_id       VARCHAR NOT NULL,
    table_name   VARCHAR NOT NULL,           -- the table whose rows were quarantined
    dag_id       VARCHAR NOT NULL,           -- "cli" outside Airflow
    task_id      VARCHAR NOT NULL,
    fingerprint  VARCHAR NOT NULL,           -- table + failing checks: the same failure in consecutive runs shares it
    failed       INTEGER NOT NULL,
    total        INTEGER NOT NULL,
    checks       VARCHAR NOT NULL,           -- JSON {check: rows}
    sent         BOOLEAN NOT NULL,           -- false: a repeat of the last alert, summarised in the next one sent
    channels     VARCHAR,                    -- where it went: smtp, slack, webhook
    errors       VARCHAR,                    -- channels that could not be reached, with the reason
    decided_at   TIMESTAMPTZ NOT NULL
);
