-- How many times each row about to be quarantined (registered as held_keys, in order n) has failed its check before.
SELECT coalesce(q.attempts, 0) FROM held_keys AS h
LEFT JOIN quarantine AS q ON q.table_name = h.table_name AND q.row_key = h.row_key AND q.check_name = h.check_name
    AND q.column_name IS NOT DISTINCT FROM h.column_name
ORDER BY h.n
