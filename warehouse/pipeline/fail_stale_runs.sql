-- Fail the stale runs (registered as stale_run_ids), saying why: no end was recorded before run $run_id started.
UPDATE runs SET status = 'failed', finished_at = $at, reason = $reason
WHERE status = 'running' AND run_id IN (SELECT run_id FROM stale_run_ids)
