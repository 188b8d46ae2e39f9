-- extract_articles' backlog: fetched pages whose body has not been extracted (new, or changed since), unless the
-- article of this fetch was quarantined for good (NEWSFIGURES_MAX_ATTEMPTS); read a page at a time, the $limit pages
-- after the URL $after.
SELECT p.url, p.body_sha256, p.fetched_at, e.published_at, e.published_precision, e.topic FROM pages p
JOIN entries e ON e.url = p.url LEFT JOIN articles a ON a.url = p.url
WHERE p.url > $after AND p.error IS NULL AND p.body_sha256 IS NOT NULL AND (a.url IS NULL OR a.body_sha256 <> p.body_sha256)
    AND NOT EXISTS (
        SELECT 1 FROM quarantine q
        WHERE q.table_name = 'articles' AND q.row_key = p.url AND q.final AND q.quarantined_at >= p.fetched_at
    )
ORDER BY p.url
LIMIT $limit
