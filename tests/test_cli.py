import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LocalServer

from pipeline.cli import main

SEED = (
    "Official South Korean data indicated that the total number of registered defectors from North Korea was around 800"
    " in 2023 – almost three times the 278 reported in 2022."
)


def test_figures_prints_the_seed_sentence_as_json_lines() -> None:
    result = CliRunner().invoke(main, ["figures", "--published", "2024-02-05"], input=SEED)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["kind"], r["value"], r["hedge"], r["metric"], r["sense"], r["year"]) for r in rows] == [
        ("count", 800, "approximate", "arrivals", None, 2023),
        ("ratio", 3, "approximate", "arrivals", "change", 2023),
        ("count", 278, "exact", "arrivals", None, 2022),
    ]
    assert all(SEED[r["start"] : r["end"]] == r["text"] and r["sentence"] == SEED for r in rows)


def test_figures_take_a_partial_date_and_explain_their_fields() -> None:
    text = "So far this year 412 defectors have arrived. Ten defectors arrived here today."
    result = CliRunner().invoke(main, ["figures", "--published", "2015-07", "--explain"], input=text)
    assert result.exit_code == 0, result.output
    so_far, today = (json.loads(line) for line in result.output.splitlines())
    assert (so_far["metric"], so_far["year"], so_far["period"]) == ("arrivals", 2015, "H1")  # January to June
    assert (today["metric"], today["year"]) == ("other", 2015)  # a one-off arrival is no annual statistic
    assert "metric: event" in today["why"] and "year, period: published" in today["why"]
    assert any(why.startswith("metric: ") for why in so_far["why"])


def test_figures_refuse_a_date_they_cannot_read_in_one_line() -> None:
    result = CliRunner().invoke(main, ["figures", "--published", "2015-7"], input=SEED)
    assert result.exit_code == 2
    assert "YYYY, YYYY-MM or YYYY-MM-DD" in result.output and "Traceback" not in result.output


def test_run_without_feeds_says_where_it_looked(tmp_path: Path) -> None:
    empty = tmp_path / "feeds.toml"
    empty.write_text("")
    result = CliRunner().invoke(main, ["run"], env={"NEWSFIGURES_FEEDS_FILE": str(empty)})
    assert result.exit_code != 0
    assert "no feeds configured" in result.output and str(empty) in result.output


@pytest.fixture
def lake_env(tmp_path: Path) -> dict[str, str]:
    return {
        "NEWSFIGURES_CATALOG": f"sqlite:{tmp_path}/catalog.sqlite",
        "NEWSFIGURES_DATA_PATH": f"{tmp_path}/data/",
        "NEWSFIGURES_ARCHIVE_DIR": f"{tmp_path}/archive",
        "NEWSFIGURES_ALLOW_PRIVATE_ADDRESSES": "true",  # the local test servers are on loopback
        "NEWSFIGURES_HOST_DELAY": "0",
        "COLUMNS": "160",
    }


def test_demo_ends_with_reported_against_official(lake_env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["demo", "--port", "0"], env=lake_env)
    assert result.exit_code == 0, result.output
    assert "Reported vs official" in result.output
    lines = result.output.splitlines()
    seed_2023 = [line for line in lines if "│ 2023" in line and "│ 800" in line]
    assert seed_2023 and "196" in seed_2023[0] and "disagrees" in seed_2023[0]
    assert "Safe Retirement Reports" in seed_2023[0]
    seed_2022 = [line for line in lines if "│ 2022" in line and "│ 278" in line]
    assert seed_2022 and "67" in seed_2022[0] and "disagrees" in seed_2022[0]
    assert any("│ 2023" in line and "│ 196 " in line and "agrees" in line for line in lines)


def test_migrate_reports_what_it_applied_then_nothing(lake_env: dict[str, str]) -> None:
    first = CliRunner().invoke(main, ["migrate"], env=lake_env)
    second = CliRunner().invoke(main, ["migrate"], env=lake_env)
    assert first.exit_code == 0 and "001_core_tables" in first.output
    assert "nothing (up to date)" in second.output


def test_sql_before_any_run_says_in_one_line_what_to_run_first(tmp_path: Path) -> None:
    env = {**os.environ, "NEWSFIGURES_CATALOG": f"sqlite:{tmp_path}/lake/catalog.sqlite",
           "NEWSFIGURES_DATA_PATH": f"{tmp_path}/lake/data/"}  # fmt: skip
    newsfigures = Path(sys.executable).parent / "newsfigures"

    done = subprocess.run([newsfigures, "sql"], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)

    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "run `make demo` or `newsfigures run` first" in done.stderr
    assert not (tmp_path / "lake").exists()  # asking created nothing


FEED = '[[feeds]]\nname = "{name}"\nurl = "{url}"\ntopic = "{topic}"\n'


def feeds_file(tmp_path: Path, *feeds: dict[str, str]) -> str:
    path = tmp_path / "feeds.toml"
    path.write_text("".join(FEED.format(**({"name": "wire", "topic": "defection"} | f)) for f in feeds))
    return str(path)


@pytest.mark.parametrize(
    ("feeds", "message"),
    [
        ([{"url": "ftp://127.0.0.1:9/rss"}], "feed 'wire' url must be http(s): 'ftp://127.0.0.1:9/rss'"),
        ([{"url": "http://127.0.0.1:9/a"}, {"url": "http://127.0.0.1:9/b"}], "duplicate feed name: 'wire'"),
        ([{"url": "http://127.0.0.1:9/rss", "topic": "weather"}], "feed 'wire': unknown topic 'weather'"),
        ([{"url": 'http://127.0.0.1:9/rss"\n[[feeds]'}], "feeds.toml: "),  # broken TOML
    ],
    ids=["bad-url", "duplicate-name", "unknown-topic", "broken-toml"],
)
def test_a_broken_feeds_file_is_one_line_without_traceback_and_fails(
    tmp_path: Path, lake_env: dict[str, str], feeds: list[dict[str, str]], message: str
) -> None:
    env = lake_env | {"NEWSFIGURES_FEEDS_FILE": feeds_file(tmp_path, *feeds)}

    result = CliRunner().invoke(main, ["run"], env=env)

    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert result.output.count("\n") == 1 and message in result.output, result.output


def test_an_unknown_feed_name_is_an_error_naming_the_known_ones(tmp_path: Path, lake_env: dict[str, str]) -> None:
    env = lake_env | {"NEWSFIGURES_FEEDS_FILE": feeds_file(tmp_path, {"url": "http://127.0.0.1:9/rss"})}

    result = CliRunner().invoke(main, ["run", "--feed", "wyre"], env=env)

    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert "unknown feed 'wyre' (feeds.toml has: wire)" in result.output
    assert not Path(lake_env["NEWSFIGURES_CATALOG"].removeprefix("sqlite:")).exists()  # no run was started


def test_a_run_whose_every_feed_fails_exits_nonzero_showing_why_and_the_private_address_hint(
    tmp_path: Path, lake_env: dict[str, str], server: LocalServer
) -> None:
    env = lake_env | {
        "NEWSFIGURES_FEEDS_FILE": feeds_file(tmp_path, {"url": server.route("/rss.xml", body=b"<rss/>")}),
        "NEWSFIGURES_ALLOW_PRIVATE_ADDRESSES": "false",  # as outside the demo and the tests
    }

    result = CliRunner().invoke(main, ["run"], env=env)

    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert "feed wire failed: refused: 127.0.0.1 resolves to loopback address 127.0.0.1" in result.output
    assert "NEWSFIGURES_ALLOW_PRIVATE_ADDRESSES=true" in result.output
    assert "every feed failed (1 of 1)" in result.output
    assert server.seen("/rss.xml") == []  # refused before any request


def test_a_failing_feed_is_shown_without_verbose_and_the_others_load(
    tmp_path: Path, lake_env: dict[str, str], server: LocalServer
) -> None:
    good = server.route("/good.xml", body=b'<rss version="2.0"><channel><title>T</title></channel></rss>')
    bad = server.route("/bad.xml", status=500)
    path = feeds_file(tmp_path, {"name": "good", "url": good}, {"name": "bad", "url": bad})

    result = CliRunner().invoke(main, ["run"], env=lake_env | {"NEWSFIGURES_FEEDS_FILE": path})

    assert result.exit_code == 0, result.output
    assert "feed bad failed: HTTP 500" in result.output
    assert "NEWSFIGURES_ALLOW_PRIVATE_ADDRESSES" not in result.output


def test_a_second_demo_never_loads_the_site_again_under_another_port(lake_env: dict[str, str]) -> None:
    from pipeline import warehouse
    from pipeline.settings import Settings

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    first = CliRunner().invoke(main, ["demo", "--port", str(port)], env=lake_env)
    assert first.exit_code == 0, first.output

    with socket.socket() as holder:  # another demo, or anything else, holds the port
        holder.bind(("127.0.0.1", port))
        holder.listen()
        busy = CliRunner().invoke(main, ["demo", "--port", str(port)], env=lake_env)
    elsewhere = CliRunner().invoke(main, ["demo", "--port", "0"], env=lake_env)

    assert busy.exit_code == 1 and isinstance(busy.exception, SystemExit), busy.output
    assert f"port {port} is busy" in busy.output and busy.output.count("\n") == 1
    assert elsewhere.exit_code == 1 and isinstance(elsewhere.exception, SystemExit), elsewhere.output
    assert f"this warehouse holds the demo site as served on port {port}" in elsewhere.output
    settings = Settings(catalog=lake_env["NEWSFIGURES_CATALOG"], data_path=lake_env["NEWSFIGURES_DATA_PATH"])
    with warehouse.connect(settings, read_only=True) as con:
        ports = con.execute("SELECT DISTINCT regexp_extract(url, ':([0-9]+)/', 1) FROM entries").fetchall()
    assert ports == [(str(port),)]


def test_sql_attaches_the_configured_lake_not_the_demo_one(tmp_path: Path, lake_env: dict[str, str]) -> None:
    assert CliRunner().invoke(main, ["migrate"], env=lake_env).exit_code == 0
    env = {**os.environ, **lake_env}
    newsfigures = Path(sys.executable).parent / "newsfigures"

    done = subprocess.run(
        [newsfigures, "sql", "-csv", "-c", "SELECT count(*) AS runs FROM runs; SELECT path FROM duckdb_databases() "
         "WHERE database_name = 'news'"],
        env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd=tmp_path,
    )  # fmt: skip
    printed = subprocess.run(
        [newsfigures, "sql", "--print-attach"], env=env, capture_output=True, text=True, cwd=tmp_path
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["runs", "0", "path", lake_env["NEWSFIGURES_CATALOG"]]
    assert printed.returncode == 0, printed.stderr
    assert f"ATTACH 'ducklake:{lake_env['NEWSFIGURES_CATALOG']}' AS news" in printed.stdout
    assert f"DATA_PATH '{lake_env['NEWSFIGURES_DATA_PATH']}'" in printed.stdout and "READ_ONLY" in printed.stdout
