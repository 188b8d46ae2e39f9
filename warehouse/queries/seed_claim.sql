-- Which reports of 2023 arrivals disagree with the official count, who published them, and in what words?
SELECT year, reported, hedge, official, deviation_pct, outlet, published_at, url, sentence
FROM reported_vs_official
WHERE metric = 'arrivals' AND subgroup IS NULL AND year = 2023 AND kind = 'count' AND agreement = 'disagrees'
ORDER BY published_at, url;
