-- Every stored feed schedule, in the field order of pipeline.fetch.schedule.FeedSchedule.
SELECT feed, url, interval_s, next_poll_at, failures, paused_until, pause_reason, last_outcome, updated_at
FROM feed_state
