-- fetch_pages' backlog: entries never fetched, or whose fetch failed and may be tried again (not final: fewer than
-- $max_attempts failures, and not a 404, robots.txt or not-HTML refusal), unless their page row was quarantined for good.
SELECT e.url, coalesce(p.attempts, 0) FROM entries e LEFT JOIN pages p ON p.url = e.url
WHERE (p.url IS NULL OR (p.error IS NOT NULL AND NOT coalesce(p.final, p.attempts >= $max_attempts)))
    AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.table_name = 'pages' AND q.row_key = e.url AND q.final)
ORDER BY e.first_seen_at, e.url
