-- find_figures' backlog: articles whose figures were not read since they were extracted or reprocessed.
SELECT a.url, a.text, a.published_at, a.published_precision, a.title, e.topic
FROM articles a JOIN entries e ON e.url = a.url
WHERE a.status = 'ok' AND a.figures_version IS NULL ORDER BY a.url
