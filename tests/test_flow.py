"""A whole pass, as `newsfigures run` does it: real HTTP, trafilatura, Pandera and a DuckLake in a temporary folder."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import LOADED_TABLES, DemoLake, LocalServer, lake_settings

from pipeline import flow, warehouse
from pipeline.checks import alerts, policy
from pipeline.demo.server import SITE
from pipeline.errors import ConfigError, SchemaFailure, WarehouseError
from pipeline.extract import articles
from pipeline.fetch import archive
from pipeline.records import Feed
from pipeline.settings import Settings


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
            """SELECT year, kind, reported, hedge, official, agreement, outlet, url, sentence, span_text,
                      reported_ratio, official_ratio
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
    assert ratio[2:6] == (None, "approximate", None, "agrees")  # a ratio fills its own, exact, pair of columns
    assert ratio[10] == 3 and ratio[11] == pytest.approx(196 / 67)  # 2.93: "almost three times" holds
    assert count_2023[6] == "Safe Retirement Reports" and "/retire/" in count_2023[7]
    assert "almost three times the 278 reported in 2022" in count_2023[8]
    assert count_2023[9] == "around 800"


def test_accurate_wire_reports_agree(
    demo_lake: DemoLake,
) -> None:
    settings = demo_lake.settings
    with warehouse.connect(settings, read_only=True) as con:
        agreeing = con.execute(
            """SELECT DISTINCT year, reported FROM reported_vs_official
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


def _misdated_story(server: LocalServer, tmp_path: Path) -> Settings:
    """A story whose feed dates it to 2022 while it states a figure for 2023, which cannot have been reported then."""
    html = {"content-type": "text/html; charset=utf-8"}
    sentence = "A total of 196 defectors arrived in 2023, up from 67 in 2022."
    server.route("/a.html", body=ARTICLE.format(title="Arrivals", sentence=sentence).encode(), headers=html)
    server.route(
        "/rss.xml",
        body=rss(server, [("/a.html", "Mon, 05 Dec 2022 09:00:00 GMT")]),
        headers={"content-type": "text/xml"},
    )
    return lake_settings(tmp_path, (Feed("wire", server.url("/rss.xml"), "defection"),))


def test_a_figure_that_cannot_be_right_is_quarantined_and_the_rest_loads(server: LocalServer, tmp_path: Path) -> None:
    settings = _misdated_story(server, tmp_path)

    run_id, stages = flow.run(settings, trigger="test")

    assert stages["find_figures"]["quarantined"] == 1
    with warehouse.connect(settings, read_only=True) as con:
        loaded = con.execute("SELECT value, year FROM figures").fetchall()
        held = con.execute("SELECT run_id, check_name, bad_value, article_url FROM quarantine").fetchall()
        status = con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchone()[0]
    assert loaded == [(67.0, 2022)]
    assert held == [(run_id, "year_not_after_publication", "2023", server.url("/a.html"))]
    assert status == "failed"


def test_a_row_that_fails_again_carries_the_run_that_quarantined_it_last(server: LocalServer, tmp_path: Path) -> None:
    settings = _misdated_story(server, tmp_path)
    first_run, _ = flow.run(settings, trigger="test")

    again = "reprocess-again"
    flow.reprocess(settings, again, since=datetime(2000, 1, 1, tzinfo=UTC))  # as news_reprocess does: extract,
    with pytest.raises(SchemaFailure):  # then read the figures again: the 2023 figure fails again (1 of 2)
        flow.find_figures(settings, again)

    with warehouse.connect(settings, read_only=True) as con:
        held = con.execute("SELECT run_id, check_name FROM quarantine").fetchall()
        this_run = con.execute("SELECT count(*) FROM quarantine WHERE run_id = ?", [again]).fetchone()[0]
    assert held == [(again, "year_not_after_publication")], f"still {first_run}'s row"
    assert this_run == 1  # the on-call query for the run that failed finds its row


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


def serve_articles(server: LocalServer, pages: dict[str, str], date: str = "Thu, 18 Jan 2024 09:00:00 GMT") -> Feed:
    """Serve each page at its path and a feed listing them all, dated ``date``; return the feed."""
    for path, html in pages.items():
        server.route(path, body=html.encode(), headers={"content-type": "text/html; charset=utf-8"})
    feed = rss(server, [(path, date) for path in pages])
    server.route("/rss.xml", body=feed, headers={"content-type": "application/rss+xml"})
    return Feed("wire", server.url("/rss.xml"), "defection")


def test_a_headline_repeating_the_lead_is_one_claim_and_a_headline_only_claim_counts(
    server: LocalServer, tmp_path: Path
) -> None:
    repeat = ARTICLE.format(
        title="N. Korean defector arrivals nearly triple to 196 in 2023",
        sentence="A total of 196 North Korean defectors arrived in South Korea last year, up from 67 in 2022.",
    )
    only = ARTICLE.format(
        title="Defections hit 863 in 2023, blog says",
        sentence="North Korean defectors keep coming, and the ministry will publish its count later.",
    )
    feed = serve_articles(server, {"/repeat.html": repeat, "/only.html": only})
    settings = lake_settings(tmp_path, (feed,))

    flow.run(settings, trigger="test")

    with warehouse.connect(settings, read_only=True) as con:
        stored = con.execute(
            """SELECT figure_no, value, section, repeats_figure_no FROM figures
               WHERE article_url LIKE '%repeat.html' ORDER BY figure_no"""
        ).fetchall()
        marts = con.execute(
            """SELECT url, year, reported, section, agreement FROM reported_vs_official
               ORDER BY url, year, reported"""
        ).fetchall()
        outlet = con.execute("SELECT articles, figures_reported, disagrees FROM outlet_accuracy").fetchall()
        yielded = con.execute("SELECT figures FROM ingestion_health WHERE feed = 'wire'").fetchone()[0]
    headline, lead = stored[0], next(row for row in stored[1:] if row[1] == 196)
    assert headline[1:] == (196, "headline", lead[0]) and lead[2:] == ("body", None)
    assert {row[2] for row in stored[1:]} == {"body"}
    assert [m[1:] for m in marts if m[0].endswith("repeat.html")] == [
        (2022, 67, "body", "agrees"),
        (2023, 196, "body", "agrees"),
    ]
    assert [m[1:] for m in marts if m[0].endswith("only.html")] == [(2023, 863, "headline", "disagrees")]
    assert outlet == [(2, 3, 1)]
    assert yielded == (len(stored) - 1) + 1  # the repeat's figures less its headline, and the headline-only claim


def test_share_bar_counters_never_become_figures(server: LocalServer, tmp_path: Path) -> None:
    page = ARTICLE.format(
        title="Arrivals", sentence="A total of 196 North Korean defectors arrived in South Korea last year."
    ).replace(
        "</article>",
        "<p>Read 12,408 times · 37 comments</p>"
        "<p>Share 1.2k Views 3,004 12 Comments Likes 45 Print Tweet</p></article>",
    )
    settings = lake_settings(tmp_path, (serve_articles(server, {"/a.html": page}),))

    flow.run(settings, trigger="test")

    with warehouse.connect(settings, read_only=True) as con:
        text = con.execute("SELECT text FROM articles").fetchone()[0]
        values = {v for (v,) in con.execute("SELECT coalesce(value, low) FROM figures").fetchall()}
        disagreeing = con.execute("SELECT count(*) FROM reported_vs_official WHERE agreement = 'disagrees'").fetchone()
    assert "196 North Korean defectors" in text
    for counter in ("12,408", "37 comments", "1.2k", "3,004", "Likes 45", "Tweet"):
        assert counter not in text
    assert values == {196.0} and disagreeing == (0,)


SHORT_POST = """<!doctype html><html lang="en"><head><title>Defections soar</title></head><body>
<nav><a href="/">Home</a></nav><main><article>
<p>According to CNN, 863 North Koreans defected to South Korea in 2023, a dramatic jump from 318 in 2021 and 343 in
2020.</p></article></main><footer>About us</footer></body></html>"""


def test_a_short_post_misreporting_the_figures_is_read_and_disagrees(server: LocalServer, tmp_path: Path) -> None:
    stub = "<html><head><title>World</title></head><body><article><p>Log in to read more.</p></article></body></html>"
    feed = serve_articles(server, {"/short.html": SHORT_POST, "/stub.html": stub}, "Thu, 14 Mar 2024 09:00:00 GMT")
    settings = lake_settings(tmp_path, (feed,))

    flow.run(settings, trigger="test")

    with warehouse.connect(settings, read_only=True) as con:
        statuses = dict(con.execute("SELECT regexp_extract(url, '/(\\w+)\\.html', 1), status FROM articles").fetchall())
        marts = con.execute(
            "SELECT year, reported, official, agreement FROM reported_vs_official ORDER BY year"
        ).fetchall()
    assert statuses == {"short": "ok", "stub": "no_article"}
    assert marts == [(2020, 343, 229, "disagrees"), (2021, 318, 63, "disagrees"), (2023, 863, 196, "disagrees")]


def test_a_month_only_date_is_kept_and_the_year_check_still_holds(server: LocalServer, tmp_path: Path) -> None:
    page = ARTICLE.format(
        title="Arrivals",
        sentence="A total of 1,397 North Korean defectors arrived last year, and 2,000 are expected in 2016.",
    ).replace("<title>", '<meta name="date" content="2015-07"><title>')
    feed = serve_articles(server, {"/a.html": page}, "2015-07")
    settings = lake_settings(tmp_path, (feed,))

    flow.run(settings, trigger="test")

    with warehouse.connect(settings, read_only=True) as con:
        entry = con.execute("SELECT published_at, published_precision FROM entries").fetchone()
        article = con.execute("SELECT published_at, published_precision, published_source FROM articles").fetchone()
        loaded = con.execute("SELECT value, year FROM figures").fetchall()
        held = con.execute("SELECT check_name, bad_value FROM quarantine").fetchall()
    assert entry[1] == "month" and article[1:] == ("month", "feed")
    assert article[0].year == 2015 and article[0].month == 7 and article[0].day == 1
    assert loaded == [(1397.0, 2014)]  # "last year" from a July 2015 story
    assert held == [("year_not_after_publication", "2016")]


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


# feedparser takes seconds over a few hundred kilobytes of unclosed tags: far past the bound set below
SLOW_TO_PARSE = b'<?xml version="1.0"?><rss version="2.0"><channel><item><description>' + b"<b>" * 80_000


def test_a_feed_too_slow_to_parse_is_its_own_error_and_the_other_feeds_load(
    server: LocalServer, tmp_path: Path
) -> None:
    html = {"content-type": "text/html; charset=utf-8"}
    good = ARTICLE.format(title="Arrivals", sentence="A total of 196 North Korean defectors arrived last year.")
    server.route("/good.html", body=good.encode(), headers=html)
    server.route("/rss.xml", body=rss(server, [("/good.html", "Thu, 18 Jan 2024 09:00:00 GMT")]))
    server.route("/junk.xml", body=SLOW_TO_PARSE, headers={"content-type": "application/rss+xml"})
    feeds = (
        Feed("junk", server.url("/junk.xml"), "defection"),
        Feed("wire", server.url("/rss.xml"), "defection"),
    )
    settings = lake_settings(tmp_path, feeds, feed_parse_timeout=0.5)

    _, stages = flow.run(settings, trigger="test")

    assert stages["poll_feeds"]["errors"] == 1 and stages["poll_feeds"]["entries_new"] == 1
    with warehouse.connect(settings, read_only=True) as con:
        polls = dict(con.execute("SELECT feed, coalesce(error, outcome) FROM feed_polls").fetchall())
        entries = con.execute("SELECT feed, url FROM entries").fetchall()
    assert polls["wire"] == "changed" and "NEWSFIGURES_FEED_PARSE_TIMEOUT" in polls["junk"]
    assert entries == [("wire", server.url("/good.html"))]


def test_a_damaged_archive_file_is_one_failed_page_and_a_new_fetch_repairs_it(
    server: LocalServer, tmp_path: Path
) -> None:
    one = ARTICLE.format(title="Arrivals", sentence="A total of 196 North Korean defectors arrived last year.")
    two = ARTICLE.format(title="Arrivals fall", sentence="Only 67 North Korean defectors arrived in 2022.")
    feed = serve_articles(server, {"/one.html": one, "/two.html": two})
    settings = lake_settings(tmp_path, (feed,))
    flow.run(settings, trigger="test")
    with warehouse.connect(settings, read_only=True) as con:
        (sha,) = con.execute("SELECT body_sha256 FROM pages WHERE url = ?", [server.url("/one.html")]).fetchone()
    path = archive.path_for(settings.archive_dir, sha)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # a disk that filled up, a copy cut short

    counts = flow.reprocess(settings, "reprocess-damaged", since=datetime(2000, 1, 1, tzinfo=UTC))

    assert counts == {"articles": 1, "no_article": 1, "quarantined": 0}
    with warehouse.connect(settings, read_only=True) as con:
        found = dict(con.execute("SELECT url, status || ': ' || coalesce(reason, '') FROM articles").fetchall())
    assert found[server.url("/two.html")] == "ok: "
    assert found[server.url("/one.html")].startswith("no_article: extraction failed: archived body unreadable: ")
    assert f"archived response {sha} is damaged" in found[server.url("/one.html")]

    serve_articles(server, {"/one.html": one, "/two.html": two, "/copy.html": one})  # the same body, a new entry
    _, stages = flow.run(settings, trigger="test")

    assert stages["extract_articles"]["articles"] == 1
    assert archive.read(settings.archive_dir, sha).body == one.encode()


def test_an_article_with_more_figures_than_the_cap_loads_the_first_and_records_the_rest(
    server: LocalServer, tmp_path: Path
) -> None:
    many = " ".join(f"In {year}, {100 + year - 2000} North Korean defectors arrived." for year in range(2000, 2012))
    feed = serve_articles(server, {"/many.html": ARTICLE.format(title="Arrivals by year", sentence=many)})
    settings = lake_settings(tmp_path, (feed,), max_figures_per_article=5)

    run_id, stages = flow.run(settings, trigger="test")

    with warehouse.connect(settings, read_only=True) as con:
        loaded = con.execute("SELECT figure_no FROM figures ORDER BY figure_no").fetchall()
        held = con.execute(
            "SELECT run_id, check_name, bad_value, reason, article_url FROM quarantine WHERE table_name = 'figures'"
        ).fetchall()
    assert loaded == [(n,) for n in range(1, 6)]
    [(held_run, check, bad, reason, url)] = held
    assert (held_run, check, url) == (run_id, "figures_per_article", server.url("/many.html"))
    assert int(bad) > 5 and f"the first 5 of its {bad} figures are loaded" in reason
    assert stages["find_figures"]["over_cap"] == 1


def test_polling_a_feed_name_that_is_not_configured_is_a_configuration_error(tmp_path: Path) -> None:
    settings = lake_settings(tmp_path, (Feed("wire", "http://127.0.0.1:9/rss.xml", "defection"),))

    with pytest.raises(ConfigError, match=r"unknown feed 'wyre' \(feeds.toml has: wire\)"):  # as the DAG param
        flow.poll_feeds(settings, "run-1", feeds=["wyre"])


def _running(settings: Settings, run_id: str, started_at: datetime) -> None:
    """A run row as a run that was killed (or never finished) left it: still 'running'."""
    import pandas as pd

    row = {"run_id": run_id, "started_at": started_at, "finished_at": None, "trigger": "cli", "status": "running",
           "extractor_version": "x", "counts": None}  # fmt: skip
    with warehouse.connect(settings) as con, warehouse.transaction(con) as tx:
        tx.merge("runs", pd.DataFrame([row]))


def test_a_run_left_running_is_marked_failed_with_its_reason_by_the_next_run(
    server: LocalServer, tmp_path: Path
) -> None:
    server.route("/rss.xml", body=rss(server, []), headers={"content-type": "application/rss+xml"})
    settings = lake_settings(tmp_path, (Feed("wire", server.url("/rss.xml"), "defection"),), stale_run_hours=6.0)
    flow.start_run(settings, trigger="test")  # migrates
    now = datetime.now(UTC)
    _running(settings, "killed", now - timedelta(hours=7))
    _running(settings, "concurrent", now - timedelta(minutes=1))

    run_id, _ = flow.run(settings, trigger="test")

    with warehouse.connect(settings, read_only=True) as con:
        got = dict(con.execute("SELECT run_id, (status, reason, finished_at IS NOT NULL) FROM runs").fetchall())
        health = con.execute("SELECT stale_runs, last_failed_run, last_failed_reason FROM ingestion_health").fetchone()
    status, reason, finished = got["killed"]
    assert status == "failed" and finished and "no end recorded" in reason and run_id in reason
    assert got["concurrent"][0] == "running"  # younger than NEWSFIGURES_STALE_RUN_HOURS: it may still be going
    assert health[0] == 1 and health[1] == "killed" and "no end recorded" in health[2]


def test_a_run_whose_stage_fails_to_commit_is_failed_with_the_reason(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.route("/rss.xml", body=rss(server, []), headers={"content-type": "application/rss+xml"})
    settings = lake_settings(tmp_path, (Feed("wire", server.url("/rss.xml"), "defection"),))

    def full_disk(*args: Any, **kwargs: Any) -> Any:
        raise WarehouseError("could not commit: No space left on device")

    monkeypatch.setitem(flow.RUNS, "fetch_pages", full_disk)
    with pytest.raises(WarehouseError):
        flow.run(settings, trigger="test")

    with warehouse.connect(settings, read_only=True) as con:
        [(status, reason)] = con.execute("SELECT status, reason FROM runs").fetchall()
    assert status == "failed"
    assert "fetch_pages" in reason and "No space left on device" in reason


def test_clearing_a_failed_find_figures_reads_the_quarantined_article_again_up_to_the_cap(
    server: LocalServer, tmp_path: Path
) -> None:
    settings = _misdated_story(server, tmp_path)
    settings = lake_settings(tmp_path, settings.feeds, max_attempts=3)
    run_id, stages = flow.run(settings, trigger="test")
    assert stages["find_figures"]["quarantined"] == 1

    with pytest.raises(SchemaFailure):  # on-call clears the failed task: the article is read again, and fails again
        flow.find_figures(settings, run_id)
    with pytest.raises(SchemaFailure):  # the next run reads it a third time
        flow.run_stage("find_figures", settings, "next-run")
    assert flow.find_figures(settings, "after-the-cap")["articles_read"] == 0  # then it is given up, not read forever

    with warehouse.connect(settings, read_only=True) as con:
        held = con.execute("SELECT run_id, attempts, final FROM quarantine").fetchall()
        health = con.execute("SELECT rows_given_up FROM ingestion_health WHERE feed = 'wire'").fetchone()[0]
        loaded = con.execute("SELECT value FROM figures").fetchall()
    assert held == [("next-run", 3, True)]
    assert health == 1
    assert loaded == [(67.0,)]  # the good figure of the article stays loaded, once


def test_pages_that_cannot_become_articles_are_not_fetched_again_and_odd_ones_only_up_to_the_cap(
    server: LocalServer, tmp_path: Path
) -> None:
    server.route("/robots.txt", body=b"User-agent: *\nDisallow: /private\n", headers={"content-type": "text/plain"})
    server.route("/gone.html", status=404, body=b"no such page")
    server.route("/data.json", body=b"{}", headers={"content-type": "application/json"})
    server.route("/private/a.html", body=b"<html><body>secret</body></html>", headers={"content-type": "text/html"})
    server.route("/odd.html", status=999, body=b"what")
    paths = ("/gone.html", "/data.json", "/private/a.html", "/odd.html")
    when = "Thu, 18 Jan 2024 09:00:00 GMT"
    server.route("/rss.xml", body=rss(server, [(p, when) for p in paths]), headers={"content-type": "text/xml"})
    settings = lake_settings(tmp_path, (Feed("wire", server.url("/rss.xml"), "defection"),), max_attempts=2)

    for _ in range(3):
        flow.run(settings, trigger="test")

    assert [len(server.seen(p)) for p in paths] == [1, 1, 0, 2]
    with warehouse.connect(settings, read_only=True) as con:
        final = dict(con.execute("SELECT url, final FROM pages").fetchall())
        odd = con.execute("SELECT attempts, final FROM quarantine WHERE table_name = 'pages'").fetchone()
        health = con.execute("SELECT pages_given_up, rows_given_up FROM ingestion_health").fetchone()
    assert final == dict.fromkeys((server.url(p) for p in paths[:3]), True)
    assert odd == (2, True)
    assert health == (3, 1)


def test_feed_items_without_a_link_are_counted_where_on_call_looks(server: LocalServer, tmp_path: Path) -> None:
    html = {"content-type": "text/html; charset=utf-8"}
    good = ARTICLE.format(title="Arrivals", sentence="A total of 196 North Korean defectors arrived last year.")
    server.route("/good.html", body=good.encode(), headers=html)
    items = (
        f"<item><title>Good</title><link>{server.url('/good.html')}</link><guid>g</guid></item>"
        "<item><title>No link</title><guid isPermaLink='false'>n1</guid></item>"
        "<item><title>Bad link</title><link>javascript:alert(1)</link><guid>n2</guid></item>"
    )
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>W</title>{items}</channel></rss>'
    server.route("/rss.xml", body=feed.encode(), headers={"content-type": "application/rss+xml"})
    settings = lake_settings(tmp_path, (Feed("wire", server.url("/rss.xml"), "defection"),))

    _, stages = flow.run(settings, trigger="test")

    assert stages["poll_feeds"]["entries_new"] == 1 and stages["poll_feeds"]["entries_dropped"] == 2
    with warehouse.connect(settings, read_only=True) as con:
        polled = con.execute("SELECT entries_seen, entries_dropped FROM feed_polls").fetchall()
        health = con.execute("SELECT entries_dropped FROM ingestion_health WHERE feed = 'wire'").fetchone()[0]
    assert polled == [(1, 2)]
    assert health == 2


def test_a_failed_stage_says_what_on_call_needs_and_the_alert_counts_what_loaded(
    server: LocalServer, tmp_path: Path
) -> None:
    settings = _misdated_story(server, tmp_path)
    for name in ("poll_feeds", "fetch_pages", "extract_articles"):
        flow.run_stage(name, settings, "run-7")
    told: list[Any] = []
    origin = policy.Origin("news_ingest", "find_figures", lambda: alerts.Channels(), told=lambda a, _: told.append(a))

    with pytest.raises(SchemaFailure) as failed:
        flow.run_stage("find_figures", settings, "run-7", origin=origin)

    message = str(failed.value)
    assert "run-7" in message and server.url("/a.html") in message and "'2023'" in message
    assert "WHERE run_id = 'run-7' AND table_name = 'figures'" in message
    [alert] = told
    assert "1 of 2 figures rows loaded" in alert.subject
    assert "1 of 2 figures rows loaded; 1 failed validation" in alert.text()


def test_a_run_commits_batch_by_batch_and_one_that_dies_keeps_what_it_committed(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    html = {"content-type": "text/html; charset=utf-8"}
    paths = [f"/2024/story-{n:02d}.html" for n in range(20)]
    for n, path in enumerate(paths):
        sentence = f"A total of {100 + n} North Korean defectors arrived in the South in {2000 + n}."
        server.route(path, body=ARTICLE.format(title=f"Arrivals, part {n}", sentence=sentence).encode(), headers=html)
    items = [(p, "Thu, 18 Jan 2024 09:00:00 GMT") for p in paths]
    server.route("/rss.xml", body=rss(server, items), headers={"content-type": "application/rss+xml"})
    # batches of 6: 20 pages are 4 commits a stage; 20 pages, more than articles.MIN_PARALLEL, on two workers
    settings = lake_settings(tmp_path, (Feed("wire", server.url("/rss.xml"), "defection"),), batch_size=6,
                             extract_workers=2)  # fmt: skip
    real, batches = flow.frames.article_rows, []

    def dies_at_the_third_batch(*args: Any, **kwargs: Any) -> Any:
        batches.append(args[0])
        if len(batches) == 3:
            raise RuntimeError("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(flow.frames, "article_rows", dies_at_the_third_batch)
    with pytest.raises(RuntimeError, match="killed"):
        flow.run(settings, trigger="test")
    with warehouse.connect(settings, read_only=True) as con:
        pages, articles = (con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("pages", "articles"))
    assert (pages, articles) == (20, 12)  # every page fetched; the first two batches of articles kept

    monkeypatch.setattr(flow.frames, "article_rows", real)
    run_id, counts = flow.run(settings, trigger="test")
    assert counts["extract_articles"]["articles"] == 8 and counts["find_figures"]["articles_read"] == 20
    with warehouse.connect(settings, read_only=True) as con:
        stored = con.execute("SELECT count(*), count(DISTINCT url) FROM articles").fetchone()
        years = con.execute("SELECT count(DISTINCT year) FROM figures WHERE metric = 'arrivals'").fetchone()[0]
        commits = con.execute(
            "SELECT author, commit_message FROM snapshots() WHERE snapshot_time >= "
            "(SELECT started_at FROM runs WHERE run_id = ?) ORDER BY snapshot_id", [run_id]
        ).fetchall()  # fmt: skip
    assert stored == (20, 20) and years == 20
    # snapshots() reads as a history of runs: each commit of this run carries its id (the 8 articles in 2 batches)
    assert len(commits) >= 4 and set(commits) == {("newsfigures", run_id)}


def test_polling_commits_a_batch_of_entries_at_a_time_and_a_poll_that_dies_keeps_what_it_committed(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured = []
    for name in ("alpha", "beta", "gamma"):
        items = [(f"/{name}/story-{n}.html", "Thu, 18 Jan 2024 09:00:00 GMT") for n in range(3)]
        server.route(f"/{name}.xml", body=rss(server, items), headers={"content-type": "application/rss+xml"})
        configured.append(Feed(name, server.url(f"/{name}.xml"), "defection"))
    settings = lake_settings(tmp_path, tuple(configured), batch_size=3)  # each feed's 3 entries are a batch
    real, batches = flow.frames.entry_rows, []

    def dies_at_the_second_batch(results: Any, *args: Any, **kwargs: Any) -> Any:
        batches.append([poll.feed for poll, _, _ in results])
        if len(batches) == 2:
            raise RuntimeError("killed")
        return real(results, *args, **kwargs)

    monkeypatch.setattr(flow.frames, "entry_rows", dies_at_the_second_batch)
    with pytest.raises(RuntimeError, match="killed"):
        flow.run_stage("poll_feeds", settings, "run-1")
    with warehouse.connect(settings, read_only=True) as con:
        kept = con.execute("SELECT feed, count(*) FROM entries GROUP BY feed").fetchall()
        polled = con.execute("SELECT feed FROM feed_polls").fetchall()
    assert batches == [["alpha"], ["beta"]]  # the feeds' results come in their configured order, a batch at a time
    assert kept == [("alpha", 3)] and polled == [("alpha",)]  # the first batch was committed, the second was not

    monkeypatch.setattr(flow.frames, "entry_rows", real)
    counts = flow.run_stage("poll_feeds", settings, "run-2")
    with warehouse.connect(settings, read_only=True) as con:
        stored = con.execute("SELECT feed, count(*), count(DISTINCT url) FROM entries GROUP BY feed ORDER BY feed")
        assert stored.fetchall() == [("alpha", 3, 3), ("beta", 3, 3), ("gamma", 3, 3)]
    assert (counts["polled"], counts["entries_new"], counts["errors"]) == (3, 6, 0)  # alpha's 3 were kept, not new


def test_an_up_to_date_lake_starts_a_run_without_migrating_or_reloading_the_reference(tmp_path: Path) -> None:
    settings = lake_settings(tmp_path, shared=True)
    flow.start_run(settings, trigger="test")
    with warehouse.connect(settings, read_only=True) as con:
        before = con.execute("SELECT max(snapshot_id) FROM snapshots()").fetchone()[0]
        loaded = con.execute("SELECT name FROM schema_views WHERE name LIKE 'reference/%'").fetchall()
    flow.start_run(settings, trigger="test")
    with warehouse.connect(settings, read_only=True) as con:
        changes = con.execute("SELECT changes FROM snapshots() WHERE snapshot_id > ?", [before]).fetchall()
    assert loaded  # each topic's reference CSV is recorded when loaded...
    assert len(changes) == 1 and list(changes[0][0]) == ["tables_inserted_into"]  # ...and then only the run is new
