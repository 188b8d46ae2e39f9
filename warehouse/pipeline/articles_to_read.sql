-- One batch of find_figures' backlog (its URLs registered as batch_urls): what the engine and the checks read.
SELECT a.url, a.text, a.published_at, a.published_precision, a.title, e.topic
FROM articles a JOIN entries e ON e.url = a.url JOIN batch_urls b ON b.url = a.url
ORDER BY a.url
