-- Mark the articles read (registered as read_urls) with the extractor version that read them.
UPDATE articles SET figures_version = $version WHERE url IN (SELECT url FROM read_urls)
