"""Articles: real trafilatura and readability on hand-written pages; text without furniture, dates by precedence."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from conftest import LocalServer, data

from pipeline.cli import main
from pipeline.extract.articles import MIN_TEXT_CHARS, PageInput, across, decode_html, extract, extract_many
from pipeline.extract.body import choose, remove_boilerplate
from pipeline.extract.dates import url_date

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


@pytest.mark.parametrize("charset", ["idna", "undefined", "punycode", "base64", "no-such-charset"])
def test_a_charset_no_page_can_be_in_is_ignored(charset: str) -> None:
    body = "<html><body><p>café \xff</p></body></html>".encode()

    assert decode_html(body, {"Content-Type": f"text/html; charset={charset}"}) == body.decode()
    assert "café" in decode_html(body.replace(b"<body>", f'<meta charset="{charset}"><body>'.encode()))


FURNITURE = b"""
      <div class="share-bar"><a href="#">Share</a> <a href="#">Facebook</a> <a href="#">Twitter</a></div>
      <p class="stamp">Updated 18 Jan 2024, 09:30 KST</p>
      <figure><img src="/a.jpg" alt=""><figcaption>Photo: Lee Jin-man/AP</figcaption></figure>
      <p>Kim Min-ji</p>"""
TEASER = b"""<p><strong>You may also like:</strong> <a href="/world/rice">Rice prices climb again</a></p>"""


def test_share_bars_stamps_captions_teasers_and_repeated_bylines_are_left_out() -> None:
    body = data("article.html").replace(b'<p class="byline">By Kim Min-ji</p>', FURNITURE)
    body = body.replace(b"    </article>", TEASER + b"\n    </article>")

    article = extract(body, URL, fetched_at=FETCHED)

    assert "196 North Korean defectors reached South Korea last year" in article.text
    assert "resettlement centres had expanded their staff" in article.text
    for furniture in ("Facebook", "Updated 18 Jan", "Lee Jin-man/AP", "You may also like", "Kim Min-ji"):
        assert furniture not in article.text


def test_furniture_rules_keep_sentences_that_merely_mention_the_words() -> None:
    text = "\n".join(
        [
            "Share prices fell 3% on Monday after the ministry said 196 people arrived last year.",
            "By 2023, more than 34,000 defectors had settled in the South, officials said.",
            "Photo: Lee Jin-man/AP",
            "Related: Summit plans shelved",
            "Nov. 20, 2019 6:02 AM EST",
            "Comments",
        ]
    )

    assert remove_boilerplate(text).split("\n") == text.split("\n")[:2]


def test_readability_wins_when_it_holds_the_same_body_without_the_extra_lines() -> None:
    story = " ".join(f"Sentence {i} of the story says something new about arrivals." for i in range(40))
    furniture = "\n".join(f"Most read headline number {i} about something else" for i in range(12))

    tighter = choose(story + "\n" + furniture, story)
    truncated = choose(story[:600], story)
    disagreeing = choose(story, "An unrelated block of text. " * 40)

    assert (tighter.text, tighter.method) == (story, "readability")
    assert (truncated.text, truncated.method) == (story, "readability")
    assert (disagreeing.text, disagreeing.method) == (story, "trafilatura")


def test_date_in_the_url_path_is_the_last_resort() -> None:
    assert url_date("https://news.example.org/2024/01/18/defectors") == (datetime(2024, 1, 18, tzinfo=UTC), "day")
    assert url_date("https://news.example.org/2024-13-40-nothing") is None
    assert url_date("https://news.example.org/world/defectors-2023") is None


def test_extract_many_in_processes_gives_what_extract_gives_in_order() -> None:
    pages = [PageInput(data("article.html"), URL, fetched_at=FETCHED), PageInput(data("login.html"), URL + "/login")]

    found = extract_many(pages * 10, workers=2)  # 20 pages: enough to start the workers (MIN_PARALLEL)

    assert [a.status for a in found] == ["ok", "no_article"] * 10
    assert found[0] == found[18] == extract(data("article.html"), URL, fetched_at=FETCHED)


def test_workers_take_a_long_backlog_as_they_need_it_not_all_at_once() -> None:
    taken = []

    def backlog() -> Iterator[int]:
        for n in range(-1, -5001, -1):
            taken.append(n)
            yield n

    done = across(abs, backlog(), workers=2, ahead=100)
    first = [next(done) for _ in range(10)]
    held = len(taken)  # read from the backlog by the time the caller has its first ten results
    rest = list(done)

    assert first + rest == list(range(1, 5001))  # every item, in order
    assert held < 500  # what is taken ahead is bounded by `ahead` and a few chunks, not the backlog's length


def test_cli_extract_prints_the_article_of_a_saved_page_as_json(tmp_path: object) -> None:
    from pathlib import Path

    page = Path(str(tmp_path)) / "page.html"
    page.write_bytes(data("article.html"))

    result = CliRunner().invoke(main, ["extract", str(page), "--url", URL])

    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert "196 North Korean defectors" in record["text"]
    assert (record["published"], record["published_source"]) == ("2024-01-18T00:30:00+00:00", "html-meta")
    assert record["site_name"] == "Example Daily" and record["canonical_url"] == URL
    assert record["extraction_method"] in ("trafilatura", "readability")


def test_cli_extract_fetches_a_url_with_the_project_client(server: LocalServer) -> None:
    page_url = server.route("/world/defectors", headers={"Content-Type": "text/html"}, body=data("article.html"))

    result = CliRunner().invoke(main, ["extract", page_url], env={"NEWSFIGURES_ALLOW_PRIVATE_ADDRESSES": "true"})

    assert result.exit_code == 0, result.output
    assert "196 North Korean defectors" in json.loads(result.output)["text"]
    assert "newsfigures" in server.seen("/world/defectors")[0].headers["user-agent"].lower()


COUNTER_BARS = [
    "Read 12,408 times · 37 comments",
    "Share 1.2k",
    "Views 3,004",
    "12 Comments",
    "Likes 45",
    "Comments (37)",
    "Print",
    "Tweet",
    "Share 1.2k Views 3,004 12 Comments Likes 45 Print Tweet",
    "👁 3,004 views | ♥ 45 likes",
]


def test_view_read_comment_share_and_like_counters_are_left_out_of_the_text() -> None:
    story = "The ministry said 196 North Korean defectors arrived in 2023."
    text = "\n".join([*COUNTER_BARS, story, "It cited its own count. Read 12,408 times · 37 comments"])

    assert remove_boilerplate(text).split("\n") == [story, "It cited its own count."]


def test_counter_rules_keep_sentences_that_merely_mention_views_or_shares() -> None:
    kept = [
        "The video was viewed 12,000 times on social media before it was taken down, officials said.",
        "Share prices fell 3 percent after 196 people arrived.",
        "196 defectors",
        "Of the 196, 164 were women and 32 were men.",
    ]

    assert remove_boilerplate("\n".join(kept)).split("\n") == kept


SHORT_POST = """<!doctype html><html lang="en"><head><title>Defections hit 863</title>
<meta property="article:published_time" content="2024-03-14T07:45:00+00:00"></head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a></nav><main><article>
<p>According to CNN, 863 North Koreans defected to South Korea in 2023, a dramatic jump from 318 in 2021.</p>
</article></main><footer>About us | Contact</footer></body></html>"""
STUB = """<!doctype html><html lang="en"><head><title>World</title></head><body><main><article>
<p>North Korea news: defectors, border, summit. Log in to read more of our coverage.</p>
</article></main></body></html>"""


def test_a_short_post_stating_a_topic_figure_is_an_article() -> None:
    post = extract(SHORT_POST.encode(), URL, fetched_at=FETCHED, topic="defection")

    assert len(post.text) < MIN_TEXT_CHARS
    assert post.status == "ok" and "863 North Koreans defected" in post.text


def test_a_short_page_without_a_topic_figure_stays_no_article() -> None:
    stub = extract(STUB.encode(), URL, fetched_at=FETCHED, topic="defection")
    login = extract(data("login.html"), URL, fetched_at=FETCHED, topic="defection")
    untopical = extract(SHORT_POST.encode(), URL, fetched_at=FETCHED)  # no topic: nothing to state a figure of

    assert [stub.status, login.status, untopical.status] == ["no_article"] * 3
    assert stub.text == "" and "no article text" in (stub.reason or "")


def partial_page(meta: str) -> bytes:
    body = "".join(
        f"<p>Paragraph {i} on how North Korean defectors settle in the South, the ministry said.</p>" for i in range(6)
    )
    return f"<html><head><title>Settling in</title>{meta}</head><body><article>{body}</article></body></html>".encode()


def test_a_partial_publication_date_is_kept_as_partial() -> None:
    month = extract(partial_page('<meta name="date" content="2015-07">'), URL, fetched_at=FETCHED)
    year = extract(partial_page('<meta property="article:published_time" content="2015">'), URL, fetched_at=FETCHED)
    day = extract(partial_page(META_DATE.decode()), URL, fetched_at=FETCHED)

    assert (month.published, month.published_precision) == (datetime(2015, 7, 1, tzinfo=UTC), "month")
    assert (year.published, year.published_precision) == (datetime(2015, 1, 1, tzinfo=UTC), "year")
    assert day.published_precision == "day" and day.published == datetime(2024, 1, 18, 0, 30, tzinfo=UTC)


def test_a_feed_month_gives_way_to_the_page_day_inside_it() -> None:
    page = partial_page('<meta property="article:published_time" content="2015-07-14T09:00:00+00:00">')

    refined = extract(
        page, URL, fetched_at=FETCHED, feed_published=datetime(2015, 7, 1, tzinfo=UTC), feed_precision="month"
    )
    kept = extract(
        partial_page(""),
        URL,
        fetched_at=FETCHED,
        feed_published=datetime(2015, 7, 1, tzinfo=UTC),
        feed_precision="month",
    )

    assert (refined.published, refined.published_precision, refined.published_source) == (
        datetime(2015, 7, 14, 9, 0, tzinfo=UTC),
        "day",
        "html-meta",
    )
    assert (kept.published, kept.published_precision, kept.published_source) == (
        datetime(2015, 7, 1, tzinfo=UTC),
        "month",
        "feed",
    )
