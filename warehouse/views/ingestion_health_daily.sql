-- Ingestion day by day (UTC): polls, new entries, pages, articles, figures loaded and rows quarantined, by the day
-- the pipeline did the work (not the day the news was published). Days with no activity have no row.
CREATE OR REPLACE VIEW ingestion_health_daily AS
WITH activity AS (
    SELECT CAST(timezone('UTC', polled_at) AS DATE) AS day, 1 AS polls,
        CASE WHEN outcome = 'error' THEN 1 ELSE 0 END AS poll_errors,
        0 AS entries_new, 0 AS pages_fetched, 0 AS pages_failed, 0 AS articles, 0 AS no_article, 0 AS figures,
        0 AS quarantined, 0 AS runs, 0 AS runs_failed
    FROM feed_polls
    UNION ALL
    SELECT CAST(timezone('UTC', first_seen_at) AS DATE), 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 FROM entries
    UNION ALL
    SELECT CAST(timezone('UTC', fetched_at) AS DATE), 0, 0, 0,
        CASE WHEN error IS NULL THEN 1 ELSE 0 END, CASE WHEN error IS NULL THEN 0 ELSE 1 END, 0, 0, 0, 0, 0, 0
    FROM pages
    UNION ALL
    SELECT CAST(timezone('UTC', extracted_at) AS DATE), 0, 0, 0, 0, 0,
        CASE WHEN status = 'ok' THEN 1 ELSE 0 END, CASE WHEN status = 'ok' THEN 0 ELSE 1 END, 0, 0, 0, 0
    FROM articles
    UNION ALL
    -- claims: a figure restating a claim of its article (a headline's repeat, "Of the 196") is not counted again
    SELECT CAST(timezone('UTC', loaded_at) AS DATE), 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 FROM figures
    WHERE repeats_figure_no IS NULL
    UNION ALL
    -- a row failing several checks is one quarantined row
    SELECT CAST(timezone('UTC', min(quarantined_at)) AS DATE), 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0
    FROM quarantine GROUP BY table_name, row_key
    UNION ALL
    SELECT CAST(timezone('UTC', started_at) AS DATE), 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
        CASE WHEN status = 'failed' THEN 1 ELSE 0 END
    FROM runs
)
SELECT
    day,
    CAST(sum(runs) AS BIGINT) AS runs,
    CAST(sum(runs_failed) AS BIGINT) AS runs_failed,
    CAST(sum(polls) AS BIGINT) AS polls,
    CAST(sum(poll_errors) AS BIGINT) AS poll_errors,
    CAST(sum(entries_new) AS BIGINT) AS entries_new,
    CAST(sum(pages_fetched) AS BIGINT) AS pages_fetched,
    CAST(sum(pages_failed) AS BIGINT) AS pages_failed,
    CAST(sum(articles) AS BIGINT) AS articles,
    CAST(sum(no_article) AS BIGINT) AS no_article,
    CAST(sum(figures) AS BIGINT) AS figures,
    CAST(sum(quarantined) AS BIGINT) AS quarantined
FROM activity
GROUP BY day
ORDER BY day;
