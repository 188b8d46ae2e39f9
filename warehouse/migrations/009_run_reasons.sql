-- Why a run failed: the stage and error a run died of, or, for a run that never recorded its end (killed, or its
-- process lost), 'no end recorded ...' written by the next run once NEWSFIGURES_STALE_RUN_HOURS have passed.
ALTER TABLE runs ADD COLUMN IF NOT EXISTS reason VARCHAR;
