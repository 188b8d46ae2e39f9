-- fetch_pages' backlog: entries never fetched, or whose fetch failed fewer than $max_attempts times.
SELECT e.url, coalesce(p.attempts, 0) FROM entries e LEFT JOIN pages p ON p.url = e.url
WHERE p.url IS NULL OR (p.error IS NOT NULL AND p.attempts < $max_attempts) ORDER BY e.first_seen_at, e.url
