"""Articles: real trafilatura on hand-written pages; text without boilerplate, dates by precedence."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from conftest import data

from pipeline.articles import MIN_TEXT_CHARS, decode_html, extract

URL = "https://news.example.org/world/defectors-2023"
FETCHED = datetime(2024, 2, 1, 12, 0, tzinfo=UTC)
META_DATE = b'<meta property="article:published_time" content="2024-01-18T09:30:00+09:00">'


def test_article_text_leaves_out_navigation_related_links_and_footer() -> None:
    article = extract(data("article.html"), URL, fetched_at=FETCHED)

    assert article.status == "ok" and article.reason is None
    assert "196 North Korean defectors reached South Korea last year" in article.text
    assert "resettlement centres had expanded their staff" in article.text
    for boilerplate in (
        "World desk",
        "Subscribe",
        "Related stories",
        "Rice prices",
        "Copyright",
        "Privacy policy",
    ):
        assert boilerplate not in article.text
    assert len(article.text) >= MIN_TEXT_CHARS


def test_article_metadata() -> None:
    body = data("article.html")

    article = extract(body, URL + "?utm_source=rss", fetched_at=FETCHED)

    assert article.title == "Defector arrivals rose in 2023, ministry says"
    assert article.author == "Kim Min-ji"
    assert article.site_name == "Example Daily"
    assert article.language == "en-GB"
    assert article.canonical_url == URL
    assert article.url == URL + "?utm_source=rss"
    assert article.body_sha256 == hashlib.sha256(body).hexdigest()
    assert article.extraction_method == "trafilatura"


def test_published_from_page_meta_is_utc() -> None:
    article = extract(data("article.html"), URL, fetched_at=FETCHED)

    assert article.published == datetime(2024, 1, 18, 0, 30, tzinfo=UTC)
    assert article.published_source == "html-meta"


def test_published_from_feed_wins_over_page_meta() -> None:
    from_feed = datetime(2024, 1, 17, 22, 0, tzinfo=UTC)

    article = extract(data("article.html"), URL, feed_published=from_feed, fetched_at=FETCHED)

    assert (article.published, article.published_source) == (from_feed, "feed")


def test_a_date_after_the_fetch_is_not_believed() -> None:
    future_feed_date = datetime(2030, 1, 1, tzinfo=UTC)

    article = extract(
        data("article.html"),
        URL,
        feed_published=future_feed_date,
        fetched_at=datetime(2024, 1, 20, tzinfo=UTC),
    )
    too_early = extract(data("article.html"), URL, fetched_at=datetime(2024, 1, 10, tzinfo=UTC))

    assert article.published_source == "html-meta"
    assert too_early.published_source != "html-meta"  # the page's own 18 January is after a 10 January fetch
    assert too_early.published is None or too_early.published <= datetime(2024, 1, 10, tzinfo=UTC)


def test_date_found_by_htmldate_when_there_is_no_meta_tag() -> None:
    body = (
        data("article.html")
        .replace(META_DATE, b"")
        .replace(
            b'<p class="byline">By Kim Min-ji</p>',
            b'<p class="byline">By Kim Min-ji, <time datetime="2024-01-17T08:00:00">17 Jan 2024</time></p>',
        )
    )

    article = extract(body, URL, fetched_at=FETCHED)

    assert article.published == datetime(2024, 1, 17, tzinfo=UTC)
    assert article.published_source == "htmldate"


def test_undated_page_has_no_published_date() -> None:
    body = data("article.html").replace(META_DATE, b"").replace(b"Copyright 2024", b"Published by")

    article = extract(body, URL, fetched_at=FETCHED)

    assert (article.published, article.published_source) == (None, "none")
    assert article.status == "ok"


def test_login_page_is_no_article_with_a_reason() -> None:
    article = extract(data("login.html"), "https://news.example.org/login", fetched_at=FETCHED)

    assert article.status == "no_article"
    assert article.text == ""
    assert article.reason is not None and article.reason.startswith("no article text found (")
    assert article.title is not None and "Sign in" in article.title


def test_empty_body_is_no_article() -> None:
    article = extract(b"", URL)

    assert article.status == "no_article" and article.reason and "no article text found" in article.reason
    assert article.body_sha256 == hashlib.sha256(b"").hexdigest()


def test_charset_from_meta_tag_decodes_the_text() -> None:
    html = data("article.html").decode("utf-8").replace("the pandemic", "the pandemic, a café owner noted,")
    body = html.replace('<meta charset="utf-8">', '<meta charset="windows-1252">').encode("cp1252")

    article = extract(body, URL)

    assert "a café owner noted" in article.text


def test_charset_from_http_header_beats_the_fallback() -> None:
    body = "<html><body><p>서울 통일부 발표</p></body></html>".encode("euc-kr")

    assert "통일부" in decode_html(body, {"Content-Type": "text/html; charset=EUC-KR"})
    assert "\ufffd" in decode_html(body, {})  # without the header: UTF-8 with replacement, never an exception
