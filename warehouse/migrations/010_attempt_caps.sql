-- Permanent failures are not retried forever. quarantine.attempts: how many times the row has failed this check;
-- quarantine.final: it reached NEWSFIGURES_MAX_ATTEMPTS, so its page is not fetched, extracted or read again (until
-- news_reprocess extracts it anew). pages.final: a failed fetch that is not tried again (404, 410, disallowed by
-- robots.txt, not HTML, or NEWSFIGURES_MAX_ATTEMPTS failures).
ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS attempts INTEGER;
ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS final BOOLEAN;
ALTER TABLE pages ADD COLUMN IF NOT EXISTS final BOOLEAN;
UPDATE quarantine SET attempts = 1, final = false WHERE attempts IS NULL;
UPDATE pages SET final = false WHERE final IS NULL;
