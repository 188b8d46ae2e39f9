-- Runs other than $run_id still 'running' that started before $before: killed, or their process lost.
SELECT run_id FROM runs WHERE status = 'running' AND run_id <> $run_id AND started_at < $before ORDER BY started_at
