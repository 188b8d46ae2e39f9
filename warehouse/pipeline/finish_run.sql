-- Close a run: when, how, why (if it failed), and its per-stage counts.
UPDATE runs SET finished_at = $at, status = $status, counts = $counts, reason = $reason WHERE run_id = $run_id
