-- For each year, when was the count first reported, when did the final figure first appear in the news, and how
-- many reports repeated an outdated preliminary figure or got it wrong?
SELECT
    metric,
    year,
    min(published_at) AS first_reported,
    arg_min(reported_value, published_at) AS first_value,
    min(published_at) FILTER (WHERE matches = 'preliminary') AS first_preliminary,
    any_value(preliminary_value) AS preliminary_value,
    min(published_at) FILTER (WHERE matches = 'final') AS first_final,
    any_value(final_value) AS final_value,
    count(*) AS reports,
    count(*) FILTER (WHERE event = 'outdated') AS outdated,
    count(*) FILTER (WHERE event = 'misreport') AS misreports
FROM reporting_timeline
WHERE subgroup IS NULL
GROUP BY metric, year
ORDER BY metric, year;
