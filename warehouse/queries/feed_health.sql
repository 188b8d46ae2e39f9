-- Which feeds answer, how often they had nothing new (304 or same body), which fail, and how long since each last
-- succeeded?
SELECT feed, polls, changed, not_modified, unchanged, errors, consecutive_errors, entries_new, articles, figures,
    quarantined, last_outcome, last_success_at, hours_since_success, last_error
FROM ingestion_health
ORDER BY consecutive_errors DESC, hours_since_success DESC NULLS FIRST, feed;
