"""News sitemaps read as feeds, and feed autodiscovery from a home page (``newsfigures feeds discover``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from conftest import LocalServer

from pipeline.cli import main
from pipeline.demo.server import SITE, serve
from pipeline.errors import FeedError
from pipeline.fetch import discover, feeds, http, sitemaps
from pipeline.records import Feed
from pipeline.settings import Settings

FEED = Feed("sitemap", "https://news.example/news-sitemap.xml", "defection")
NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://news.example/2024/01/18/defectors-2023?utm_source=sitemap</loc>
    <news:news>
      <news:publication><news:name>News Example</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2024-01-18T10:52:00+09:00</news:publication_date>
      <news:title>Defector arrivals nearly triple to 196 in 2023 &amp; more</news:title>
    </news:news>
  </url>
  <url>
    <loc>https://news.example/2024/01/10/preliminary</loc>
    <news:news><news:publication_date>2024-01-10</news:publication_date><news:title>Around 190</news:title></news:news>
  </url>
  <url><loc>javascript:alert(1)</loc></url>
</urlset>
"""


def test_a_news_sitemap_is_read_as_a_feed() -> None:
    entries = feeds.parse(NEWS_SITEMAP, {"content-type": "application/xml"}, FEED)

    assert [(e.url, e.title, e.published) for e in entries] == [
        (
            "https://news.example/2024/01/18/defectors-2023",
            "Defector arrivals nearly triple to 196 in 2023 & more",
            datetime(2024, 1, 18, 1, 52, tzinfo=UTC),
        ),
        ("https://news.example/2024/01/10/preliminary", "Around 190", datetime(2024, 1, 10, tzinfo=UTC)),
    ]
    assert {e.feed for e in entries} == {"sitemap"} and entries[0].guid == entries[0].url


def test_a_sitemap_is_told_apart_from_rss_and_atom() -> None:
    assert sitemaps.is_sitemap(NEWS_SITEMAP)
    assert not sitemaps.is_sitemap(b'<?xml version="1.0"?><rss version="2.0"><channel><title>urlset</title>')
    assert not sitemaps.is_sitemap(b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>')


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://a/s.xml</loc>'
            b"</sitemap></sitemapindex>",
            "sitemap index",
        ),
        (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://a/1</loc>', "not a readable"),
        (
            b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&x;</loc></url></urlset>',
            "declares XML entities",
        ),
    ],
    ids=["index", "truncated", "xxe"],
)
def test_unusable_sitemaps_are_feed_errors_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(FeedError, match=reason):
        feeds.parse(body, {}, FEED)


def test_a_polled_sitemap_yields_entries(server: LocalServer) -> None:
    url = server.route("/news-sitemap.xml", body=NEWS_SITEMAP, headers={"Content-Type": "application/xml"})
    settings = Settings(allow_private_addresses=True)

    async def run() -> feeds.PollResult:
        async with http.client(settings) as client:
            return await feeds.poll(client, Feed("s", url, "defection"), None, max_bytes=1_000_000)

    row, entries, _ = asyncio.run(run())

    assert (row.outcome, row.entries_seen, len(entries)) == ("changed", 2, 2)


HOME = b"""<!doctype html><html><head><base href="https://news.example/en/">
<link rel="alternate" type="application/rss+xml" title="Top  stories" href="rss/top.xml">
<link rel="Alternate" type="application/atom+xml; charset=utf-8" title="North Korea" href="/atom/nk.xml">
<link rel="alternate" type="application/rss+xml" href="rss/top.xml?utm_medium=rss">
<link rel="alternate" hreflang="ko" href="https://news.example/ko/">
<link rel="stylesheet" type="text/css" href="style.css">
</head><body><a href="rss/other.xml" type="application/rss+xml">not announced in the head</a></body></html>"""


def test_discovery_finds_announced_feeds_once_each_against_the_base() -> None:
    found = discover.links(HOME, "https://news.example/")

    assert [(f.url, f.title, f.kind) for f in found] == [
        ("https://news.example/en/rss/top.xml", "Top stories", "rss"),
        ("https://news.example/atom/nk.xml", "North Korea", "atom"),
    ]


@pytest.mark.parametrize("body", [b"", b"\x00\xff", b"<html><head></head><body>no feeds</body></html>"])
def test_pages_without_feeds_yield_none(body: bytes) -> None:
    assert discover.links(body, "https://news.example/") == []


def test_the_cli_prints_feeds_toml_tables_for_a_home_page() -> None:
    env = {"NEWSFIGURES_ALLOW_PRIVATE_ADDRESSES": "true"}  # the demo site is served on loopback
    with serve(SITE) as base:
        found = CliRunner().invoke(main, ["feeds", "discover", f"{base}/herald/"], env=env)
        none = CliRunner().invoke(main, ["feeds", "discover", f"{base}/"], env=env)
        refused = CliRunner().invoke(main, ["feeds", "discover", f"{base}/herald/"], env={})

    assert found.exit_code == 0, found.output
    assert f'url = "{base}/herald/atom.xml"' in found.output and "# atom: The Seoul Herald" in found.output
    assert none.exit_code != 0 and "announces no feed" in none.output
    assert refused.exit_code != 0 and "loopback" in refused.output
