-- extract_articles' backlog: fetched pages whose body has not been extracted (new, or changed since).
SELECT p.url, p.body_sha256, p.fetched_at, e.published_at, e.published_precision, e.topic FROM pages p
JOIN entries e ON e.url = p.url LEFT JOIN articles a ON a.url = p.url
WHERE p.error IS NULL AND p.body_sha256 IS NOT NULL AND (a.url IS NULL OR a.body_sha256 <> p.body_sha256)
ORDER BY p.url
