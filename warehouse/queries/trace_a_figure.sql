-- Where did a reported number come from: its exact words, sentence, article, the extractor that read it and the run
-- that loaded it? (Here: every figure of 800.)
SELECT f.value, f.span_text, f.sentence, f.article_url, a.title, a.site_name, a.published_at,
    f.extractor_version, f.run_id, r.started_at AS run_started_at, r.trigger
FROM figures AS f
JOIN articles AS a ON a.url = f.article_url
LEFT JOIN runs AS r ON r.run_id = f.run_id
WHERE f.value = 800
ORDER BY a.published_at;
