-- Per outlet: how many whole-year figures it reported, how many could be checked, the share that agrees with the
-- official series, and its worst misreports with their URLs. Built on reported_vs_official (the agreement rule
-- lives there), so this file's name sorts after it: views are created in file-name order.
CREATE OR REPLACE VIEW outlet_accuracy AS
WITH misreport AS (
    -- one row per distinct claim: an article that repeats a wrong number counts once in the worst list
    SELECT DISTINCT outlet, metric, subgroup, year, kind, reported, reported_ratio, low, high, official,
        official_ratio, deviation_pct, url, published_at
    FROM reported_vs_official
    WHERE agreement = 'disagrees'
),
worst AS (
    SELECT
        outlet,
        list(
            {
                'year': year, 'metric': metric, 'subgroup': subgroup, 'kind': kind,
                -- a range is shown by its midpoint; a count stays whole, a ratio exact, as in reported_vs_official
                'reported': CASE WHEN kind = 'count' THEN coalesce(reported, CAST(round((low + high) / 2) AS BIGINT))
                    END,
                'official': official,
                'reported_ratio': CASE WHEN kind = 'ratio' THEN coalesce(reported_ratio, (low + high) / 2) END,
                'official_ratio': official_ratio,
                'deviation_pct': deviation_pct, 'url': url
            }
            ORDER BY abs(deviation_pct) DESC, published_at, url
        )[1:5] AS worst_misreports,
        arg_max(url, abs(deviation_pct)) AS worst_url,
        max(abs(deviation_pct)) AS worst_deviation_pct
    FROM misreport
    GROUP BY outlet
)
SELECT
    r.outlet,
    count(DISTINCT r.url) AS articles,
    count(*) AS figures_reported,
    count(*) FILTER (WHERE r.agreement <> 'no_reference') AS comparable,
    count(*) FILTER (WHERE r.agreement = 'agrees') AS agrees,
    count(*) FILTER (WHERE r.agreement = 'disagrees') AS disagrees,
    round(count(*) FILTER (WHERE r.agreement = 'agrees')
        / nullif(count(*) FILTER (WHERE r.agreement <> 'no_reference'), 0), 3) AS share_agreeing,
    any_value(w.worst_deviation_pct) AS worst_deviation_pct,
    any_value(w.worst_url) AS worst_url,
    coalesce(any_value(w.worst_misreports), []) AS worst_misreports,
    min(r.published_at) AS first_published_at,
    max(r.published_at) AS last_published_at
FROM reported_vs_official AS r
LEFT JOIN worst AS w ON w.outlet IS NOT DISTINCT FROM r.outlet
GROUP BY r.outlet
ORDER BY share_agreeing NULLS LAST, disagrees DESC, r.outlet;
