-- An article read again loses its old figures (registered as read_urls) before the new ones load.
DELETE FROM figures WHERE article_url IN (SELECT url FROM read_urls)
