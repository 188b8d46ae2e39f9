-- reprocess' backlog: every archived page published since $since, of $topic (NULL: any topic); read a page at a
-- time, the $limit pages after the URL $after.
SELECT p.url, p.body_sha256, p.fetched_at, e.published_at, e.published_precision, e.topic FROM pages p
JOIN entries e ON e.url = p.url LEFT JOIN articles a ON a.url = p.url
WHERE p.url > $after AND p.error IS NULL AND p.body_sha256 IS NOT NULL
  AND coalesce(a.published_at, e.published_at, p.fetched_at) >= $since AND ($topic IS NULL OR e.topic = $topic)
ORDER BY p.url
LIMIT $limit
