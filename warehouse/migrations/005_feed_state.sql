-- Each feed's polling schedule: its adaptive interval, consecutive failures, and whether it is paused. Key: feed.
CREATE TABLE IF NOT EXISTS feed_state (
    feed          VARCHAR NOT NULL,
    url           VARCHAR NOT NULL,
    interval_s    DOUBLE NOT NULL,           -- seconds between polls, shorter for busy feeds, longer for quiet ones
    next_poll_at  TIMESTAMPTZ NOT NULL,
    failures      INTEGER NOT NULL,          -- failed polls in a row (0 after any success)
    paused_until  TIMESTAMPTZ,               -- NULL: not paused; else the feed is tried again only after this
    pause_reason  VARCHAR,                   -- why it was paused: the count of failures and the last error
    last_outcome  VARCHAR,                   -- changed | not_modified | unchanged | error
    updated_at    TIMESTAMPTZ,
    run_id        VARCHAR NOT NULL
);
