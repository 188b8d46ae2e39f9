-- Feed items skipped for lacking a usable link (no <link>, or not http(s)): counted per poll, not only logged.
ALTER TABLE feed_polls ADD COLUMN IF NOT EXISTS entries_dropped INTEGER;
UPDATE feed_polls SET entries_dropped = 0 WHERE entries_dropped IS NULL;
