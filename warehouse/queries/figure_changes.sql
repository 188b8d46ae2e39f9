-- Which figures did each snapshot of the lake insert or delete, and in which run? (DuckLake's change feed; a
-- re-read article shows as a delete and an insert in the same snapshot.)
SET VARIABLE latest = (SELECT max(snapshot_id) FROM news.snapshots());
SELECT c.snapshot_id, s.snapshot_time, c.change_type, count(*) AS figures, min(c.run_id) AS run_id
FROM news.table_changes('figures', 0, getvariable('latest')) AS c
JOIN news.snapshots() AS s USING (snapshot_id)
GROUP BY ALL
ORDER BY c.snapshot_id, c.change_type;
