-- Give the articles just loaded their story (registered as article_stories).
UPDATE articles SET story_id = s.story_id, text_simhash = s.text_simhash
FROM article_stories s WHERE articles.url = s.url
