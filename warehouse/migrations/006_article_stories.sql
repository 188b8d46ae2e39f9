-- One story per piece of news, however many outlets (or URLs) publish it: articles sharing a story_id are the same
-- story (the same text syndicated, near-identical by SimHash, or pointing to one rel=canonical URL). Count stories
-- with count(DISTINCT story_id). text_simhash is the 64-bit SimHash of the article text, as a signed BIGINT.
ALTER TABLE articles ADD COLUMN IF NOT EXISTS story_id VARCHAR;
ALTER TABLE articles ADD COLUMN IF NOT EXISTS text_simhash BIGINT;
