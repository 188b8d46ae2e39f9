-- Which extractor version last read each article's figures (NULL: not yet read). Lets a run find its backlog of
-- articles to read, including those with no figures, and lets a reprocess find articles read by an older version.
ALTER TABLE articles ADD COLUMN IF NOT EXISTS figures_version VARCHAR;
