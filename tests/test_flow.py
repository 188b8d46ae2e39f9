"""A whole pass, as `newsfigures run` does it: real HTTP, trafilatura, Pandera and a DuckLake in a temporary folder."""

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import LOADED_TABLES, DemoLake, LocalServer, lake_settings

from pipeline import articles, flow, warehouse
from pipeline.demo.server import SITE
from pipeline.records import Feed


def test_the_demo_site_lands_in_the_warehouse(
    demo_lake: DemoLake,
) -> None:
    settings, first = demo_lake.settings, demo_lake.first
    articles = sum(1 for p in SITE.rglob("*.html") if b"<article" in p.read_bytes())
    assert first["entries"] == first["pages"] == first["articles"] == articles
    assert first["figures"] > 5 * articles
    assert first["quarantine"] == 0
    with warehouse.connect(settings, read_only=True) as con:
        statuses = con.execute("SELECT DISTINCT status FROM runs").fetchall()
    assert statuses == [("success",)]


def test_the_seed_claim_is_held_as_reported_and_disagrees(
    demo_lake: DemoLake,
) -> None:
    settings = demo_lake.settings
    with warehouse.connect(settings, read_only=True) as con:
        rows = con.execute(
            """SELECT year, kind, reported_value, hedge, official_value, agreement, outlet, url, sentence, span_text
               FROM reported_vs_official WHERE sentence LIKE '%around 800 in 2023%' ORDER BY span_text"""
        ).fetchall()
    by_year = {(r[0], r[1]): r for r in rows}
    count_2023, ratio, count_2022 = (
        by_year[(2023, "count")],
        by_year[(2023, "ratio")],
        by_year[(2022, "count")],
    )
    assert count_2023[2:6] == (800, "approximate", 196, "disagrees")
    assert count_2022[2:6] == (278, "exact", 67, "disagrees")
    assert ratio[2] == 3 and ratio[3] == "approximate" and ratio[5] == "agrees"  # 196/67 = 2.93: the ratio holds
    assert count_2023[6] == "Safe Retirement Reports" and "/retire/" in count_2023[7]
    assert "almost three times the 278 reported in 2022" in count_2023[8]
    assert count_2023[9] == "around 800"


def test_accurate_wire_reports_agree(
    demo_lake: DemoLake,
) -> None:
    settings = demo_lake.settings
    with warehouse.connect(settings, read_only=True) as con:
        agreeing = con.execute(
            """SELECT DISTINCT year, reported_value FROM reported_vs_official
               WHERE agreement = 'agrees' AND subgroup IS NULL AND metric = 'arrivals' AND kind = 'count'"""
        ).fetchall()
    assert {(2022, 67), (2023, 196), (2024, 236), (2025, 224)} <= set(agreeing)


def test_a_second_pass_adds_nothing_but_logs(
    demo_lake: DemoLake,
) -> None:
    settings, first, second = demo_lake.settings, demo_lake.first, demo_lake.second
    assert {t: second[t] for t in LOADED_TABLES} == {t: first[t] for t in LOADED_TABLES}
    assert second["runs"] == first["runs"] + 1
    assert second["feed_polls"] == first["feed_polls"] + 3
    with warehouse.connect(settings, read_only=True) as con:
        outcomes = con.execute(
            "SELECT outcome FROM feed_polls QUALIFY row_number() OVER (PARTITION BY feed ORDER BY polled_at DESC) = 1"
        ).fetchall()
    assert outcomes == [("not_modified",)] * 3


ARTICLE = """<!doctype html><html lang="en"><head><title>{title}</title></head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<article><h1>{title}</h1><p class="byline">By Staff Reporter</p>
<p>SEOUL, Jan. 18 (Wire) -- {sentence} The figures were released by the unification ministry on Thursday.</p>
<p>Officials said the tightened border controls of the past years continued to weigh on the number of people who
managed to leave the North, and that most arrivals had spent years in third countries before reaching the South.</p>
<p>The ministry runs resettlement centres where new arrivals spend their first months learning about life in the
South, from banking to job interviews, before they move into homes of their own.</p></article>
<footer>Copyright Example Wire. All rights reserved.</footer></body></html>"""


def rss(server: LocalServer, items: list[tuple[str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{path}</title><link>{server.url(path)}</link><guid>{path}</guid><pubDate>{date}</pubDate></item>"
        for path, date in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{body}</channel></rss>'.encode()


def test_bad_input_is_recorded_with_its_reason_and_the_run_goes_on(server: LocalServer, tmp_path: Path) -> None:
    html = {"content-type": "text/html; charset=utf-8"}
    good = ARTICLE.format(title="Arrivals", sentence="A total of 196 North Korean defectors arrived last year.")
    server.route("/good.html", body=good.encode(), headers=html)
    server.route("/broken.html", status=500, body=b"oops")
    server.route("/login.html", body=b"<html><body><form>Log in <input name=u></form></body></html>", headers=html)
    server.route("/down.xml", status=503)
    server.route(
        "/rss.xml",
        body=rss(
            server,
            [(p, "Thu, 18 Jan 2024 09:00:00 GMT") for p in ("/good.html", "/broken.html", "/login.html")],
        ),
        headers={"content-type": "application/rss+xml"},
    )
    feeds = (
        Feed("wire", server.url("/rss.xml"), "defection"),
        Feed("down", server.url("/down.xml"), "defection"),
    )
    settings = lake_settings(tmp_path, feeds)

    _, stages = flow.run(settings, trigger="test")

    assert stages["poll_feeds"]["errors"] == 1 and stages["poll_feeds"]["entries_new"] == 3
    with warehouse.connect(settings, read_only=True) as con:
        poll_error = con.execute("SELECT error FROM feed_polls WHERE feed = 'down'").fetchone()[0]
        page_error = con.execute("SELECT error FROM pages WHERE url LIKE '%broken.html'").fetchone()[0]
        login = con.execute("SELECT status, reason FROM articles WHERE url LIKE '%login.html'").fetchone()
        figures = con.execute("SELECT value, year FROM figures WHERE article_url LIKE '%good.html'").fetchall()
    assert "503" in poll_error
    assert "500" in page_error
    assert login[0] == "no_article" and "no article text" in login[1]
    assert figures == [(196.0, 2023)]


def test_a_figure_that_cannot_be_right_is_quarantined_and_the_rest_loads(server: LocalServer, tmp_path: Path) -> None:
    html = {"content-type": "text/html; charset=utf-8"}
    sentence = "A total of 196 defectors arrived in 2023, up from 67 in 2022."
    server.route("/a.html", body=ARTICLE.format(title="Arrivals", sentence=sentence).encode(), headers=html)
    # the feed dates the story to 2022: a figure for 2023 cannot have been reported then
    server.route(
        "/rss.xml",
        body=rss(server, [("/a.html", "Mon, 05 Dec 2022 09:00:00 GMT")]),
        headers={"content-type": "text/xml"},
    )
    settings = lake_settings(tmp_path, (Feed("wire", server.url("/rss.xml"), "defection"),))

    run_id, stages = flow.run(settings, trigger="test")

    assert stages["find_figures"]["quarantined"] == 1
    with warehouse.connect(settings, read_only=True) as con:
        loaded = con.execute("SELECT value, year FROM figures").fetchall()
        held = con.execute("SELECT run_id, check_name, bad_value, article_url FROM quarantine").fetchall()
        status = con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchone()[0]
    assert loaded == [(67.0, 2022)]
    assert held == [(run_id, "year_not_after_publication", "2023", server.url("/a.html"))]
    assert status == "failed"


def test_the_seed_misreport_is_a_disagreement_finding_not_a_schema_failure(
    demo_lake: DemoLake,
) -> None:
    settings, first = demo_lake.settings, demo_lake.first
    with warehouse.connect(settings, read_only=True) as con:
        rows = con.execute(
            """SELECT span_text, findings FROM figures
               WHERE sentence LIKE '%around 800 in 2023%' ORDER BY span_start"""
        ).fetchall()
        parts = con.execute("SELECT count(*) FROM figures WHERE findings LIKE '%parts_vs_total%'").fetchone()[0]
    assert first["quarantine"] == 0
    findings = {span: json.loads(f) if f else [] for span, f in rows}
    assert findings["around 800"][0]["check"] == "reference_disagrees"
    assert "official figure is 196" in findings["around 800"][0]["message"]
    assert findings["278"][0]["check"] == "reference_disagrees"
    assert findings["almost three times"] == []  # 800/278 and 196/67 both hold
    assert parts == 3  # "26 men and 216 women" against the total of 236


def test_a_page_that_breaks_extraction_is_recorded_and_leaves_the_backlog(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sentence = "A total of 196 North Korean defectors arrived last year."
    good = ARTICLE.format(title="Arrivals", sentence=sentence)
    pages = {
        "/good.html": ({"content-type": "text/html; charset=utf-8"}, good),
        "/idna.html": ({"content-type": "text/html"}, good.replace("<head>", '<head><meta charset="idna">')),
        "/undefined.html": ({"content-type": "text/html; charset=undefined"}, good),
        "/crash.html": ({"content-type": "text/html; charset=utf-8"}, good.replace("Arrivals", "Crash")),
    }
    for path, (headers, html) in pages.items():
        server.route(path, body=html.encode(), headers=headers)
    when = "Thu, 18 Jan 2024 09:00:00 GMT"
    server.route("/rss.xml", body=rss(server, [(p, when) for p in pages]), headers={"content-type": "text/xml"})
    settings = lake_settings(tmp_path, (Feed("wire", server.url("/rss.xml"), "defection"),))
    body_of = articles.article_body

    def article_body(tree: Any, url: str, **kwargs: Any) -> Any:
        if url.endswith("/crash.html"):
            raise RecursionError("maximum recursion depth exceeded")  # as a deeply nested page does
        return body_of(tree, url, **kwargs)

    monkeypatch.setattr(articles, "article_body", article_body)

    run_id, stages = flow.run(settings, trigger="test")

    assert stages["extract_articles"] == {"articles": 3, "no_article": 1, "quarantined": 0}
    with warehouse.connect(settings, read_only=True) as con:
        found = dict(con.execute("SELECT url, status || ': ' || coalesce(reason, '') FROM articles").fetchall())
        figures = con.execute("SELECT article_url, value FROM figures").fetchall()
        status = con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchone()
    assert status == ("success",)
    assert (
        found[server.url("/crash.html")]
        == "no_article: extraction failed: RecursionError: maximum recursion depth exceeded"
    )
    assert {u: found[server.url(u)] for u in ("/good.html", "/idna.html", "/undefined.html")} == dict.fromkeys(
        ("/good.html", "/idna.html", "/undefined.html"), "ok: "
    )  # a charset no web page can be in is ignored, as browsers ignore it
    assert sorted(figures) == sorted((server.url(u), 196.0) for u in ("/good.html", "/idna.html", "/undefined.html"))
    assert flow.extract_articles(settings, "again") == {"articles": 0, "no_article": 0, "quarantined": 0}
