-- How each year's reported count evolved as reports came in: one row per whole-year count of a metric with a
-- reference series (for defection: arrivals and the cumulative total), in order of publication within its series
-- point (metric, subgroup, year), beside both official releases. Built on reported_vs_official, so it must sort
-- after it (views are created in file-name order).
CREATE OR REPLACE VIEW reporting_timeline AS
WITH release AS (
    -- the latest value of each release per series point: preliminary (first release) and final (revised)
    SELECT topic, metric, subgroup, year, status, value, as_of
    FROM reference_series
    QUALIFY row_number() OVER (PARTITION BY topic, metric, subgroup, year, status ORDER BY as_of DESC NULLS LAST) = 1
),
report AS (
    SELECT
        r.metric, r.subgroup, r.year, r.published_at, r.outlet, r.url, r.reported AS reported_value, r.low, r.high,
        r.hedge, r.span_text, r.figure_no, r.official AS final_value, r.agreement AS final_agreement,
        CAST(round(p.value) AS BIGINT) AS preliminary_value, p.as_of AS preliminary_as_of,
        coalesce(r.reported, (r.low + r.high) / 2) AS point,
        CASE
            WHEN p.value IS NULL THEN NULL
            WHEN r.low IS NOT NULL AND r.high IS NOT NULL THEN p.value BETWEEN r.low AND r.high
            -- the same tolerances by hedge as reported_vs_official's agreement
            WHEN r.hedge = 'exact' THEN abs(r.reported / nullif(p.value, 0) - 1) <= 0.02
            WHEN r.hedge = 'approximate' THEN abs(r.reported / nullif(p.value, 0) - 1) <= 0.10
            WHEN r.hedge = 'at_least' THEN p.value >= r.reported
            WHEN r.hedge = 'at_most' THEN p.value <= r.reported
        END AS agrees_preliminary
    FROM reported_vs_official AS r
    LEFT JOIN release AS p
        ON p.status = 'preliminary' AND p.topic = r.topic AND p.metric = r.metric AND p.year = r.year
        AND p.subgroup IS NOT DISTINCT FROM r.subgroup
    WHERE r.kind = 'count' AND r.year IS NOT NULL
),
matched AS (
    SELECT
        *,
        CASE
            WHEN final_value IS NULL AND preliminary_value IS NULL THEN 'no_reference'
            -- a report that fits both releases counts as the one it is closer to; a tie goes to the final value
            WHEN agrees_preliminary AND (final_agreement <> 'agrees'
                OR abs(point - preliminary_value) < abs(point - final_value)) THEN 'preliminary'
            WHEN final_agreement = 'agrees' THEN 'final'
            ELSE 'neither'
        END AS matches
    FROM report
),
ordered AS (
    SELECT
        *,
        row_number() OVER series AS report_no,
        first_value(published_at) OVER series AS first_published_at,
        -- a report of the preliminary value once the final one has been reported is out of date, not a revision
        matches = 'preliminary' AND coalesce(bool_or(matches = 'final') OVER earlier, false) AS outdated
    FROM matched
    WINDOW
        series AS (PARTITION BY metric, subgroup, year ORDER BY published_at NULLS LAST, url, figure_no),
        earlier AS (series ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
settled AS (
    SELECT
        *,
        -- what the news had settled on before this report: the last report neither misreported nor out of date
        last_value(CASE WHEN matches <> 'neither' AND NOT outdated THEN point END IGNORE NULLS) OVER earlier
            AS previous_value,
        last_value(CASE WHEN matches <> 'neither' AND NOT outdated THEN matches END IGNORE NULLS) OVER earlier
            AS previous_matches
    FROM ordered
    WINDOW earlier AS (
        PARTITION BY metric, subgroup, year ORDER BY published_at NULLS LAST, url, figure_no
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    )
)
SELECT
    metric,
    subgroup,
    year,
    report_no,
    published_at,
    date_diff('day', first_published_at, published_at) AS days_after_first,
    outlet,
    url,
    reported_value,
    low,
    high,
    hedge,
    span_text,
    preliminary_value,
    preliminary_as_of,
    final_value,
    matches,
    previous_value,
    CASE
        WHEN matches = 'neither' THEN 'misreport'
        WHEN report_no = 1 THEN 'first_report'
        WHEN outdated THEN 'outdated'
        WHEN previous_matches IS NULL THEN 'first_report'
        WHEN matches = 'no_reference' AND point IS DISTINCT FROM previous_value THEN 'revision'
        WHEN matches <> previous_matches THEN 'revision'
        ELSE 'repeat'
    END AS event
FROM settled
ORDER BY metric, subgroup NULLS FIRST, year, report_no;
