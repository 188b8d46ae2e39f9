-- Which outlets got the official figures wrong, how often, and what were their worst claims (with links)?
SELECT
    outlet,
    share_agreeing,
    disagrees,
    comparable,
    m.year,
    m.kind,
    m.reported,
    m.official,
    m.reported_ratio,
    m.official_ratio,
    m.deviation_pct,
    m.url
FROM outlet_accuracy, unnest(worst_misreports) AS u(m)
ORDER BY share_agreeing, outlet, abs(m.deviation_pct) DESC;
