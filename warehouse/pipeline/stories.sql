-- The stories known so far, for assigning new articles to them.
SELECT url, canonical_url, story_id, text_simhash FROM articles
WHERE story_id IS NOT NULL AND text_simhash IS NOT NULL ORDER BY url
