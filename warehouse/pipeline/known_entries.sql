-- Which of the candidate URLs (registered as candidate_urls) the warehouse already holds as entries.
SELECT url FROM entries WHERE url IN (SELECT url FROM candidate_urls)
