-- Where each figure stands, and one claim counted once: a headline that repeats the lead states one claim, not two.
-- section: 'headline' (the article's title line, when the extracted text starts with it) or 'body'.
-- repeats_figure_no: on a headline figure, the figure_no of the body figure of the same article stating the same claim
-- (same kind, value, low, high, metric, sense, subgroup, year and period; the hedge may differ); NULL for body figures
-- and for a claim only the headline states. The marts leave out figures with repeats_figure_no set.
ALTER TABLE figures ADD COLUMN IF NOT EXISTS section VARCHAR;
ALTER TABLE figures ADD COLUMN IF NOT EXISTS repeats_figure_no INTEGER;
UPDATE figures SET section = 'body' WHERE section IS NULL;
-- How much of a publication date the page or feed gave: 'day', 'month' or 'year' (NULL: no date). A partial date is
-- held in published_at at the start of its month or year (2015-07 -> 2015-07-01 00:00 UTC).
ALTER TABLE entries ADD COLUMN IF NOT EXISTS published_precision VARCHAR;
ALTER TABLE articles ADD COLUMN IF NOT EXISTS published_precision VARCHAR;
UPDATE entries SET published_precision = 'day' WHERE published_at IS NOT NULL AND published_precision IS NULL;
UPDATE articles SET published_precision = 'day' WHERE published_at IS NOT NULL AND published_precision IS NULL;
