"""On call, end to end: the demo site plus one deliberately broken article, run as `newsfigures run` does it.

The broken article states a figure for a year after its own publication (a year in the future), and an extractor
fault is simulated on it (a quoted span that is not the text at its offsets). Both must be quarantined, the good rows
must load, and each alert receiver must get exactly one alert.
"""

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Inbox, LocalServer

from pipeline import figures, warehouse
from pipeline.cli import main
from pipeline.demo.server import SITE, serve
from pipeline.records import Figure
from pipeline.settings import Settings

BROKEN = """<!doctype html><html lang="en"><head><title>Defector arrivals to keep rising, ministry says</title>
<meta property="article:published_time" content="2024-02-01T09:00:00+09:00"></head><body>
<nav><a href="/wire/">Korea National Wire</a></nav>
<article><h1>Defector arrivals to keep rising, ministry says</h1><p>By Staff Reporter</p>
<p>SEOUL, Feb. 1 (KNW) -- A total of 196 North Korean defectors arrived in South Korea last year, up from 67 in 2022,
the unification ministry said Thursday.</p>
<p>In a planning document, the ministry assumed that 300 defectors would arrive in 2031, as border controls ease and
travel through China resumes.</p>
<p>Officials said most new arrivals had spent years in third countries before reaching the South, and that women
continued to make up the large majority of those who completed the journey.</p></article>
<footer>Korea National Wire</footer></body></html>"""
ITEM = """<item><title>Defector arrivals to keep rising</title><link>{{BASE}}/wire/news/2024/02/01/broken.html</link>
<guid isPermaLink="false">KNW-BROKEN-1</guid><pubDate>Thu, 01 Feb 2024 09:00:00 +0900</pubDate></item>"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The demo site with the broken article added to the wire's feed."""
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    (root / "wire" / "news" / "2024" / "02" / "01").mkdir(parents=True)
    (root / "wire" / "news" / "2024" / "02" / "01" / "broken.html").write_text(BROKEN, encoding="utf-8")
    feed = root / "wire" / "rss.xml"
    feed.write_text(feed.read_text(encoding="utf-8").replace("<item>", ITEM + "\n<item>", 1), encoding="utf-8")
    return root


def faulty_extract(text: str, **kwargs: object) -> list[Figure]:
    """The real extractor, except that on the broken article it misquotes the first figure (an extractor bug)."""
    found = real_extract(text, **kwargs)  # type: ignore[arg-type]
    if "planning document" in text and found:
        found[0] = dataclasses.replace(found[0], text=found[0].text + "0")
    return found


real_extract = figures.extract


def test_a_broken_article_is_quarantined_alerted_once_per_receiver_and_the_rest_loads(
    site: Path, tmp_path: Path, inbox: tuple[Inbox, int], server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    mail, smtp_port = inbox
    monkeypatch.setattr(figures, "extract", faulty_extract)
    with serve(site) as base:
        feeds = tmp_path / "feeds.toml"
        feeds.write_text(
            "".join(
                f'[[feeds]]\nname = "{name}"\nurl = "{base}{path}"\ntopic = "defection"\n'
                for name, path in (
                    ("wire", "/wire/rss.xml"),
                    ("herald", "/herald/atom.xml"),
                    ("retire", "/retire/feed.xml"),
                )
            )
        )
        env = {
            "NEWSFIGURES_FEEDS_FILE": str(feeds),
            "NEWSFIGURES_CATALOG": f"sqlite:{tmp_path}/lake/catalog.sqlite",
            "NEWSFIGURES_DATA_PATH": f"{tmp_path}/lake/data/",
            "NEWSFIGURES_ARCHIVE_DIR": f"{tmp_path}/lake/archive",
            "NEWSFIGURES_ALLOW_PRIVATE_ADDRESSES": "true",  # the local test servers are on loopback
            "NEWSFIGURES_HOST_DELAY": "0",
            "NEWSFIGURES_ALERT_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "NEWSFIGURES_ALERT_EMAIL_TO": "oncall@example.org",
            "NEWSFIGURES_ALERT_SLACK_WEBHOOK": server.route("/slack", body=b"ok"),
            "NEWSFIGURES_ALERT_WEBHOOK_URL": server.route("/hook", body=b"ok"),
            "COLUMNS": "200",
        }
        result = CliRunner().invoke(main, ["run"], env=env)
        assert result.exit_code == 0, result.output
        again = CliRunner().invoke(main, ["run"], env=env)  # nothing new: no second alert
        assert again.exit_code == 0, again.output

    settings = Settings.from_env(env)
    broken = f"{base}/wire/news/2024/02/01/broken.html"
    with warehouse.connect(settings, read_only=True) as con:
        held = con.execute("SELECT check_name, bad_value, article_url FROM quarantine ORDER BY check_name").fetchall()
        good = con.execute(
            "SELECT span_text, year FROM figures WHERE article_url = ? ORDER BY span_start", [broken]
        ).fetchall()
        seed = con.execute("SELECT count(*) FROM figures WHERE sentence LIKE '%around 800 in 2023%'").fetchone()[0]
    assert [(check, url) for check, _, url in held] == [
        ("span_in_text", broken),
        ("year_not_after_publication", broken),
    ]
    assert ("2031" in {bad for _, bad, _ in held}) and seed == 3
    assert ("67", 2022) in good and all(year != 2031 for _, year in good)
    [message] = mail.messages
    assert (
        "126 of 128 figures rows loaded, 2 quarantined" in message["Subject"]
        and "span_in_text" in message.get_content()
    )
    assert len(server.seen("/slack")) == 1
    [hook] = server.seen("/hook")
    assert json.loads(hook.body)["checks"] == {"span_in_text": 1, "year_not_after_publication": 1}
    assert "alert sent to: smtp,slack,webhook" in result.output
