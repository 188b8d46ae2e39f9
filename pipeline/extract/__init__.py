"""Extract: page bytes to article text. Enters: an archived page body, its headers and the feed's date.
Leaves: an ``Article`` (text without furniture, title, date and how precise it is, canonical URL), or
``no_article`` with its reason (``articles``); copies of one story share a story id (``dedup``). ``body`` picks
trafilatura's or readability's text, ``cleanup`` removes share bars and captions, ``dates`` reads the date.
"""
