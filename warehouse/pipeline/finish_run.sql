-- Close a run: when, how, and its per-stage counts.
UPDATE runs SET finished_at = $at, status = $status, counts = $counts WHERE run_id = $run_id
