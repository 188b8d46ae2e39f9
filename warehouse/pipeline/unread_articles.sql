-- find_figures' backlog: articles whose figures were not read since they were extracted or reprocessed, and those
-- whose last read quarantined figures (so clearing a failed find_figures reads them again), unless a figure of this
-- extraction has failed NEWSFIGURES_MAX_ATTEMPTS times (final): then only news_reprocess reads it again.
SELECT a.url, a.text, a.published_at, a.published_precision, a.title, e.topic
FROM articles a JOIN entries e ON e.url = a.url
WHERE a.status = 'ok' AND a.figures_version IS NULL
    AND NOT EXISTS (
        SELECT 1 FROM quarantine q
        WHERE q.table_name = 'figures' AND q.article_url = a.url AND q.final AND q.quarantined_at >= a.extracted_at
    )
ORDER BY a.url
