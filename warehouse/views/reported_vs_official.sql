-- What the news reported beside the official figure: one row per whole-year count or ratio of a metric the topic's
-- reference series holds (for defection: arrivals and the cumulative total). Percent figures are left out for now.
-- A ratio of change compares with the official value over the year before. Tolerances follow the hedge: exact 2%,
-- approximate 10%.
-- An article's claim counts once: a figure restating a claim of its article (repeats_figure_no) is left out;
-- a claim only the headline states stays, with section 'headline'.
-- Columns lead with what an analyst reads first. A count is a whole number (reported, official: BIGINT); a ratio is
-- not, so it has its own exact columns (reported_ratio, official_ratio: DOUBLE), and each row fills the pair of its
-- kind. The agreement is decided on the unrounded values.
CREATE OR REPLACE VIEW reported_vs_official AS
WITH official AS (
    -- the latest final value per series point; preliminary releases stay in reference_series for history
    SELECT topic, metric, subgroup, year, value, confidence
    FROM reference_series
    WHERE status = 'final'
    QUALIFY row_number() OVER (PARTITION BY topic, metric, subgroup, year ORDER BY as_of DESC NULLS LAST) = 1
),
reported AS (
    SELECT
        f.*,
        coalesce(a.site_name, e.feed) AS outlet,
        coalesce(a.published_at, e.published_at) AS published_at,
        a.story_id
    FROM figures AS f
    LEFT JOIN articles AS a ON a.url = f.article_url
    LEFT JOIN entries AS e ON e.url = f.article_url
    WHERE (f.topic, f.metric) IN (SELECT DISTINCT topic, metric FROM reference_series)
        AND f.period IS NULL AND f.kind IN ('count', 'ratio')
        AND f.repeats_figure_no IS NULL
),
compared AS (
    SELECT
        r.*,
        CASE
            WHEN r.kind = 'count' THEN cur.value
            WHEN r.sense = 'change' THEN cur.value / nullif(prev.value, 0)
        END AS official_value,
        CASE
            WHEN r.kind = 'count' THEN cur.confidence
            WHEN r.sense = 'change' AND prev.value IS NOT NULL THEN
                -- a ratio is only as sure as the weaker of its two values
                CASE
                    WHEN 'reconstructed' IN (cur.confidence, prev.confidence) THEN 'reconstructed'
                    WHEN 'sourced' IN (cur.confidence, prev.confidence) THEN 'sourced'
                    ELSE cur.confidence
                END
        END AS confidence,
        coalesce(r.value, (r.low + r.high) / 2) AS point
    FROM reported AS r
    LEFT JOIN official AS cur
        ON cur.topic = r.topic AND cur.metric = r.metric AND cur.year = r.year
        AND cur.subgroup IS NOT DISTINCT FROM r.subgroup
    LEFT JOIN official AS prev
        ON prev.topic = r.topic AND prev.metric = r.metric AND prev.year = r.year - 1
        AND prev.subgroup IS NOT DISTINCT FROM r.subgroup
)
SELECT
    year,
    metric,
    subgroup,
    CASE WHEN kind = 'count' THEN CAST(round(value) AS BIGINT) END AS reported,
    hedge,
    CASE WHEN kind = 'count' THEN CAST(round(official_value) AS BIGINT) END AS official,
    CASE
        WHEN official_value IS NULL OR point IS NULL THEN 'no_reference'
        WHEN CASE
            WHEN low IS NOT NULL AND high IS NOT NULL THEN official_value BETWEEN low AND high
            WHEN hedge = 'exact' THEN abs(value / nullif(official_value, 0) - 1) <= 0.02
            WHEN hedge = 'approximate' THEN abs(value / nullif(official_value, 0) - 1) <= 0.10
            WHEN hedge = 'at_least' THEN official_value >= value
            WHEN hedge = 'at_most' THEN official_value <= value
        END THEN 'agrees'
        ELSE 'disagrees'
    END AS agreement,
    outlet,
    article_url AS url,
    kind,
    CASE WHEN kind = 'ratio' THEN value END AS reported_ratio,
    CASE WHEN kind = 'ratio' THEN official_value END AS official_ratio,
    low,
    high,
    round(100 * (point / nullif(official_value, 0) - 1), 1) AS deviation_pct,
    confidence,
    published_at,
    sentence,
    span_text,
    extractor_version,
    run_id,
    topic,
    figure_no,
    findings,
    story_id,
    section
FROM compared
ORDER BY metric, year, subgroup, published_at;
