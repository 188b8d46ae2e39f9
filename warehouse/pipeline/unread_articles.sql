-- find_figures' backlog: articles whose figures were not read since they were extracted or reprocessed, and those
-- whose last read quarantined figures (so clearing a failed find_figures reads them again), unless a figure of this
-- extraction has failed NEWSFIGURES_MAX_ATTEMPTS times (final): then only news_reprocess reads it again.
-- Only the URLs: articles_to_read reads each batch's texts.
SELECT a.url
FROM articles a
WHERE a.status = 'ok' AND a.figures_version IS NULL
    AND NOT EXISTS (
        SELECT 1 FROM quarantine q
        WHERE q.table_name = 'figures' AND q.article_url = a.url AND q.final AND q.quarantined_at >= a.extracted_at
    )
ORDER BY a.url
