-- Is ingestion healthy, feed by feed: polls and their outcomes, new entries, the last success and the last error,
-- and what the feed's articles yielded downstream. Hours since the last success are counted from the query's clock.
-- The run columns are the same on every row: runs failed for never recording their end (killed or lost; failed by
-- the next run after NEWSFIGURES_STALE_RUN_HOURS), and the latest failed run with its reason.
CREATE OR REPLACE VIEW ingestion_health AS
WITH polls AS (
    SELECT
        feed,
        arg_max(url, polled_at) AS url,
        count(*) AS polls,
        count(*) FILTER (WHERE outcome = 'changed') AS changed,
        count(*) FILTER (WHERE outcome = 'not_modified') AS not_modified,
        count(*) FILTER (WHERE outcome = 'unchanged') AS unchanged,
        count(*) FILTER (WHERE outcome = 'error') AS errors,
        CAST(sum(entries_new) AS BIGINT) AS entries_new,
        CAST(coalesce(sum(entries_dropped), 0) AS BIGINT) AS entries_dropped,
        min(polled_at) AS first_polled_at,
        max(polled_at) AS last_polled_at,
        arg_max(outcome, polled_at) AS last_outcome,
        max(polled_at) FILTER (WHERE outcome <> 'error') AS last_success_at,
        max(polled_at) FILTER (WHERE outcome = 'error') AS last_error_at,
        arg_max(error, polled_at) FILTER (WHERE outcome = 'error') AS last_error,
        median(elapsed_ms) AS median_elapsed_ms
    FROM feed_polls
    GROUP BY feed
),
streak AS (
    -- errors since the last success: how long the feed has been failing
    SELECT p.feed, count(*) AS consecutive_errors
    FROM feed_polls AS p
    JOIN polls AS s ON s.feed = p.feed
    WHERE p.outcome = 'error' AND p.polled_at > coalesce(s.last_success_at, '-infinity'::TIMESTAMPTZ)
    GROUP BY p.feed
),
downstream AS (
    SELECT
        e.feed,
        count(*) AS entries,
        count(p.url) FILTER (WHERE p.error IS NULL) AS pages_fetched,
        count(p.url) FILTER (WHERE p.error IS NOT NULL) AS pages_failed,
        count(p.url) FILTER (WHERE p.error IS NOT NULL AND p.final) AS pages_given_up,
        count(a.url) FILTER (WHERE a.status = 'ok') AS articles
    FROM entries AS e
    LEFT JOIN pages AS p ON p.url = e.url
    LEFT JOIN articles AS a ON a.url = e.url
    GROUP BY e.feed
),
yielded AS (
    -- claims: a figure restating a claim of its article (a headline's repeat, "Of the 196") is not counted again
    SELECT e.feed, count(*) AS figures
    FROM figures AS f JOIN entries AS e ON e.url = f.article_url
    WHERE f.repeats_figure_no IS NULL
    GROUP BY e.feed
),
failed_runs AS (
    SELECT
        count(*) FILTER (WHERE reason LIKE 'no end recorded%') AS stale_runs,
        arg_max(run_id, started_at) AS last_failed_run,
        arg_max(reason, started_at) AS last_failed_reason
    FROM runs
    WHERE status = 'failed'
),
held AS (
    SELECT
        e.feed,
        count(DISTINCT (q.table_name, q.row_key)) AS quarantined,
        count(DISTINCT (q.table_name, q.row_key)) FILTER (WHERE q.final) AS rows_given_up
    FROM quarantine AS q JOIN entries AS e ON e.url = q.article_url
    GROUP BY e.feed
)
SELECT
    p.feed,
    p.url,
    p.polls,
    p.changed,
    p.not_modified,
    p.unchanged,
    p.errors,
    coalesce(s.consecutive_errors, 0) AS consecutive_errors,
    p.entries_new,
    p.entries_dropped,
    coalesce(d.entries, 0) AS entries,
    coalesce(d.pages_fetched, 0) AS pages_fetched,
    coalesce(d.pages_failed, 0) AS pages_failed,
    coalesce(d.articles, 0) AS articles,
    coalesce(y.figures, 0) AS figures,
    coalesce(h.quarantined, 0) AS quarantined,
    coalesce(d.pages_given_up, 0) AS pages_given_up,
    coalesce(h.rows_given_up, 0) AS rows_given_up,
    p.first_polled_at,
    p.last_polled_at,
    p.last_outcome,
    p.last_success_at,
    round(date_diff('second', p.last_success_at, now()) / 3600, 1) AS hours_since_success,
    p.last_error_at,
    p.last_error,
    p.median_elapsed_ms,
    coalesce(r.stale_runs, 0) AS stale_runs,
    r.last_failed_run,
    r.last_failed_reason
FROM polls AS p
CROSS JOIN failed_runs AS r
LEFT JOIN streak AS s ON s.feed = p.feed
LEFT JOIN downstream AS d ON d.feed = p.feed
LEFT JOIN yielded AS y ON y.feed = p.feed
LEFT JOIN held AS h ON h.feed = p.feed
ORDER BY p.feed;
