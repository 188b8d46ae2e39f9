-- What did the pipeline do each day of the last 30 days it ran: runs, polls, new entries, articles, figures loaded and
-- rows quarantined?
SELECT *
FROM ingestion_health_daily
WHERE day >= (SELECT max(day) FROM ingestion_health_daily) - INTERVAL 30 DAY
ORDER BY day DESC;
