-- Time travel: what did reported_vs_official say when the first pipeline run finished, before any later run changed
-- it? (AT on a view reads every table under it at that moment; AT takes no subquery, so a variable carries the time.)
SET VARIABLE as_of = (SELECT min(finished_at) FROM runs WHERE finished_at IS NOT NULL);
SELECT getvariable('as_of') AS as_of, year, reported, hedge, official, agreement, outlet, url
FROM reported_vs_official AT (TIMESTAMP => getvariable('as_of'))
WHERE metric = 'arrivals' AND subgroup IS NULL AND kind = 'count' AND year >= 2022
ORDER BY year, published_at;
