"""Fetch: the network side. Enters: ``feeds.toml``'s feeds and the entry URLs the warehouse has not fetched.
Leaves: feed polls and entries (``feeds``, ``sitemaps``), fetched pages with their raw bodies archived as WARC
(``pages``, ``archive`` in a local folder or on an object store, ``warc`` the file format). ``http`` is the one
guarded client, ``politeness`` the robots.txt, per-host and backoff rules, ``schedule`` when each feed is polled
next (by the CLI and the Airflow watcher alike), ``urls`` the URL helpers every module shares.
"""
