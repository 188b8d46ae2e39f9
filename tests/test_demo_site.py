"""The bundled demo news site: feeds parse, pages serve, conditional GET works, articles extract."""

from __future__ import annotations

import http.client
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import httpx
import pytest
import trafilatura

from pipeline.demo import SITE, demo_feeds, serve

KEY_SENTENCE = (
    "Official South Korean data indicated that the total number of registered defectors from North Korea "
    "was around 800 in 2023 – almost three times the 278 reported in 2022."
)
SEED_PATH = "/retire/2024/02/05/tripling-defections-north-koreas-elite-diplomats-2023-exodus/"
FEED_TYPES = {"application/rss+xml", "application/atom+xml"}


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve(SITE) as url:
        yield url


@pytest.fixture(scope="module")
def entries(base: str) -> list[feedparser.FeedParserDict]:
    found = []
    for feed in demo_feeds(base):
        parsed = feedparser.parse(httpx.get(feed.url).content)
        found.extend(parsed.entries)
    return found


def test_every_feed_is_served_with_its_type_and_parses_cleanly(base: str) -> None:
    feeds = demo_feeds(base)
    assert {feed.topic for feed in feeds} == {"defection"}
    assert len({feed.name for feed in feeds}) == len(feeds) == 3
    for feed in feeds:
        response = httpx.get(feed.url)
        assert response.status_code == 200
        assert response.headers["content-type"] in FEED_TYPES
        assert b"{{BASE}}" not in response.content
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, (feed.url, parsed.get("bozo_exception"))
        assert parsed.entries, feed.url
        for entry in parsed.entries:
            assert entry.link.startswith(base + "/"), entry.link
            assert entry.id and entry.summary and entry.published_parsed


def test_feeds_hold_at_least_nine_articles_from_2022_to_2026(
    entries: list[feedparser.FeedParserDict],
) -> None:
    years = {entry.published_parsed.tm_year for entry in entries}
    assert len(entries) >= 9
    assert len({entry.id for entry in entries}) == len(entries)
    assert {2022, 2026} <= years <= set(range(2022, 2027))


def test_every_linked_page_is_an_html_article_dated_as_its_entry(
    entries: list[feedparser.FeedParserDict],
) -> None:
    for entry in entries:
        response = httpx.get(entry.link, follow_redirects=False)
        assert response.status_code == 200, entry.link
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert f'<link rel="canonical" href="{entry.link}">' in response.text
        meta = trafilatura.extract_metadata(response.text, default_url=entry.link)
        published = datetime(*entry.published_parsed[:6], tzinfo=UTC)
        assert meta.date == published.date().isoformat(), entry.link
        assert meta.sitename
        text = trafilatura.extract(response.text, url=entry.link) or ""
        assert 150 <= len(text.split()) <= 500, entry.link


def test_seed_page_extracts_to_the_article_without_boilerplate(base: str) -> None:
    html = httpx.get(base + SEED_PATH).text
    text = trafilatura.extract(html, url=base + SEED_PATH) or ""
    assert KEY_SENTENCE in text
    assert "Subheading 6: Defectors’ Lives in South Korea" in text
    for boilerplate in ("You may also like", "Related articles", "Medicare", "All rights reserved", "Log in"):
        assert boilerplate not in text, boilerplate


def test_conditional_get_answers_304_while_the_file_is_unchanged(base: str) -> None:
    url = demo_feeds(base)[0].url
    first = httpx.get(url)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert httpx.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert httpx.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    assert httpx.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    not_modified = httpx.get(url, headers={"If-None-Match": etag})
    assert not_modified.content == b""
    assert not_modified.headers["etag"] == etag


def test_a_feed_changed_on_disk_is_served_fresh(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    feed_file = root / "wire" / "rss.xml"
    with serve(root) as url:
        feed_url = demo_feeds(url)[0].url
        before = httpx.get(feed_url)
        item = (
            "<item><title>Breaking: new arrivals</title><link>{{BASE}}/wire/news/new.html</link>"
            '<guid isPermaLink="false">AEN-NEW</guid><pubDate>Tue, 20 Jan 2026 10:00:00 +0900</pubDate>'
            "<description>New.</description></item>"
        )
        feed_file.write_text(feed_file.read_text().replace("<ttl>30</ttl>", "<ttl>30</ttl>" + item))
        # A later mtime, as a real edit made a little later would leave.
        later = feed_file.stat().st_mtime + 60
        os.utime(feed_file, (later, later))
        after = httpx.get(feed_url, headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200
        assert after.headers["etag"] != before.headers["etag"]
        parsed = feedparser.parse(after.content)
        assert parsed.entries[0].title == "Breaking: new arrivals"
        assert parsed.entries[0].link == url + "/wire/news/new.html"
        stale = format_datetime(datetime.fromtimestamp(later - 30, UTC), usegmt=True)
        assert httpx.get(feed_url, headers={"If-Modified-Since": stale}).status_code == 200


def test_missing_files_are_404_and_directories_redirect(base: str) -> None:
    assert httpx.get(base + "/wire/news/2099/01/01/nothing.html").status_code == 404
    host, port = urlsplit(base).hostname, urlsplit(base).port
    for escape in ("/../pyproject.toml", "/%2e%2e/%2e%2e/etc/passwd"):
        # http.client sends the path as written; httpx would normalise the dots away.
        connection = http.client.HTTPConnection(host or "", port)
        connection.request("GET", escape)
        assert connection.getresponse().status == 404, escape
        connection.close()
    redirect = httpx.get(base + SEED_PATH.rstrip("/"), follow_redirects=False)
    assert redirect.status_code == 301
    assert redirect.headers["location"] == SEED_PATH
    assert httpx.head(base + SEED_PATH).status_code == 200


def test_serving_writes_nothing_to_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    with serve(SITE) as url:
        httpx.get(url + "/")
        httpx.get(url + "/missing.html")
    assert capfd.readouterr().err == ""
