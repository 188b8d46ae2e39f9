-- The latest validators (ETag, Last-Modified, body hash) of every feed, from its last poll that did not fail.
SELECT feed, etag, last_modified, body_sha256 FROM feed_polls WHERE outcome <> 'error'
QUALIFY row_number() OVER (PARTITION BY feed ORDER BY polled_at DESC) = 1
