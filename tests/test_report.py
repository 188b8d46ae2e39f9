"""The chart: `newsfigures report` draws the demo's reported arrivals against the official series."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DemoLake, LocalServer, lake_settings

from pipeline import flow, report, topics
from pipeline.cli import main
from pipeline.records import Feed
from pipeline.settings import Settings

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo(demo_lake: DemoLake) -> Settings:
    return demo_lake.settings


def test_write_makes_a_png_and_a_self_contained_page_naming_the_seed_misreport(demo: Settings, tmp_path: Path) -> None:
    png, page = report.write(demo, tmp_path / "out")
    assert (png.name, page.name) == ("reported_vs_official.png", "reported_vs_official.html")
    image = png.read_bytes()
    assert image.startswith(PNG_MAGIC) and len(image) > 20_000
    width, height = int.from_bytes(image[16:20], "big"), int.from_bytes(image[20:24], "big")
    assert width > 800 and height > 400
    html = page.read_text(encoding="utf-8")
    embedded = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert embedded and base64.b64decode(embedded.group(1)) == image
    assert "<script" not in html and not re.search(r'(src|href)="(?!data:|http://127\.0\.0\.1)', html)
    seed = re.search(
        r"<tr><td>2023</td><td>800</td><td>approximate</td><td>196</td><td>Safe Retirement Reports</td>", html
    )
    assert seed, "the seed's 800 against the official 196 for 2023"
    assert "/retire/2024/02/05/" in html[seed.end() : seed.end() + 300]
    assert "Korea National Wire" not in html  # only disagreeing reports are listed, and the wire never disagrees


def test_the_chart_labels_each_misreport_with_its_outlet(demo: Settings) -> None:
    with report.warehouse.connect(demo, read_only=True) as con:
        reports, official = report.series(con, topics.load("defection"))
    labels: list[str] = []

    class Axes:  # records what would be written on the chart
        def annotate(self, text: str, *args: object, **kwargs: object) -> None:
            labels.append(text)

    report._label_misreports(Axes(), reports, official)
    assert "800 (Safe Retirement Reports) vs 196" in labels
    assert len(labels) == len({(r.year, r.value) for r in reports if r.agreement == "disagrees"})


def test_cli_report_writes_where_asked(demo: Settings, tmp_path: Path) -> None:
    env = {"NEWSFIGURES_CATALOG": demo.catalog, "NEWSFIGURES_DATA_PATH": demo.data_path}
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "chart")], env=env)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "chart").iterdir()) == [
        "reported_vs_official.html",
        "reported_vs_official.png",
    ]
    assert "reported_vs_official.html" in result.output


def test_cli_report_without_a_lake_says_what_to_do(tmp_path: Path) -> None:
    env = {"NEWSFIGURES_CATALOG": f"sqlite:{tmp_path}/none.sqlite", "NEWSFIGURES_DATA_PATH": f"{tmp_path}/data/"}
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "chart")], env=env)
    assert result.exit_code == 1 and "newsfigures demo" in result.output


EVIL = r"Evil $\frac{$ News"
PAGE = """<!doctype html><html lang="en"><head><title>Arrivals</title><meta property="og:site_name" content="{site}">
</head><body><article><h1>Arrivals</h1>
<p>SEOUL, Jan. 18 -- A total of 800 North Korean defectors arrived in South Korea in 2023, the ministry said.</p>
<p>Officials said the tightened border controls of the past years continued to weigh on the number of people who
managed to leave the North, and that most arrivals had spent years in third countries before reaching the South.</p>
</article></body></html>"""


def test_an_outlet_named_like_mathtext_is_drawn_and_listed_as_written(server: LocalServer, tmp_path: Path) -> None:
    server.route("/a.html", body=PAGE.format(site=EVIL).encode(), headers={"content-type": "text/html; charset=utf-8"})
    item = f"<item><link>{server.url('/a.html')}</link><pubDate>Thu, 18 Jan 2024 09:00:00 GMT</pubDate></item>"
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Evil</title>{item}</channel></rss>'
    server.route("/rss.xml", body=feed.encode(), headers={"content-type": "application/rss+xml"})
    settings = lake_settings(tmp_path, (Feed(EVIL, server.url("/rss.xml"), "defection"),))
    flow.run(settings, trigger="test")

    png, page = report.write(settings, tmp_path / "out")

    assert png.read_bytes().startswith(PNG_MAGIC)
    assert "<td>800</td><td>exact</td><td>196</td><td>Evil $\\frac{$ News</td>" in page.read_text(encoding="utf-8")
