"""``newsfigures``: the pipeline without Airflow — one pass, the demo, the figure extractor."""

from __future__ import annotations

import json
import logging
import sys
from contextlib import ExitStack
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.records import Published
from pipeline.settings import Settings

DEMO_PORT = 8765  # a fixed port keeps the demo's URLs, and so its entries, the same from one run to the next
console = Console()


PRIVATE_HINT = (
    "(the address is not public: set NEWSFIGURES_ALLOW_PRIVATE_ADDRESSES=true to fetch from loopback or private "
    "addresses, e.g. a local test server)"
)


class _Group(click.Group):
    """Configuration errors are one line (``Error: ...``) and exit 1, with no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from pipeline.errors import ConfigError

        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise click.ClickException(" ".join(str(exc).split())) from exc


@click.group(cls=_Group)
@click.option("-v", "--verbose", is_flag=True, help="Log every stage's progress.")
def main(verbose: bool) -> None:
    """newsfigures: figures the news reports, checked against official statistics."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@main.command()
@click.option("--feed", "feeds", multiple=True, help="Poll only this feed (by name); repeatable.")
def run(feeds: tuple[str, ...]) -> None:
    """One full pass: poll feeds, fetch pages, extract articles and figures, validate, load."""
    from pipeline.settings import select_feeds

    settings = Settings.from_env()
    if not settings.feeds:
        raise click.ClickException(f"no feeds configured in {settings.feeds_file}")
    select_feeds(settings, feeds)
    _run(settings, trigger="cli", feeds=feeds or None)


@main.command()
@click.option(
    "--port",
    default=DEMO_PORT,
    show_default=True,
    help="Port for the demo site (0: any free port, for a warehouse of its own: the URLs carry the port).",
)
def demo(port: int) -> None:
    """Serve the bundled demo news site locally, run a pass against it, print reported vs official."""
    from pipeline.demo.server import SITE, demo_feeds, serve

    settings = Settings.from_env(feeds=(), allow_private_addresses=True, host_delay=0.0)
    served_on = _demo_port_served(settings)
    with ExitStack() as stack:
        try:
            base_url = stack.enter_context(serve(SITE, port=port))
        except OSError as exc:
            raise click.ClickException(
                f"port {port} is busy (is another `newsfigures demo` running?): the demo serves only on the port its"
                f" warehouse knows it by, so as not to load every article again under new URLs ({exc.strerror})"
            ) from exc
        actual = urlsplit(base_url).port
        if served_on is not None and served_on != actual:
            raise click.ClickException(
                f"this warehouse holds the demo site as served on port {served_on}; on port {actual} every article"
                f" would load again under new URLs: run `newsfigures demo --port {served_on}`, or give this one a"
                " warehouse of its own (NEWSFIGURES_CATALOG, NEWSFIGURES_DATA_PATH)"
            )
        console.print(f"Demo news site at [bold]{base_url}[/] (3 outlets: wire RSS, herald Atom, retire RSS)")
        settings = replace(settings, feeds=demo_feeds(base_url))
        _run(settings, trigger="demo", feeds=None)
    _print_reported_vs_official(settings)
    console.print(f"Warehouse: {settings.catalog} — open it with [bold]make sql[/]")


def _demo_port_served(settings: Settings) -> int | None:
    """The port of the demo site whose feeds this warehouse already follows (None: no demo run yet)."""
    from pipeline import warehouse
    from pipeline.demo.server import DEMO_FEEDS
    from pipeline.errors import WarehouseError

    try:
        with warehouse.connect(settings, read_only=True) as con:
            row = con.execute("SELECT url FROM feed_state WHERE feed = ?", [DEMO_FEEDS[0][0]]).fetchone()
    except WarehouseError:
        return None
    return urlsplit(row[0]).port if row else None


def _run(settings: Settings, *, trigger: str, feeds: tuple[str, ...] | None) -> None:
    from pipeline import flow

    run_id, counts = flow.run(settings, trigger=trigger, feeds=feeds, told=_told)
    table = Table(title=f"run {run_id}")
    table.add_column("stage")
    table.add_column("counts")
    for stage, numbers in counts.items():
        table.add_row(stage, ", ".join(f"{k} {v}" for k, v in numbers.items()))
    Console(width=max(console.width, 110)).print(table)
    failed = _poll_errors(settings, run_id)
    polled = counts.get("poll_feeds", {}).get("polled", 0)
    if polled and len(failed) == polled:
        raise click.ClickException(f"every feed failed ({len(failed)} of {polled}): nothing new was fetched")


def _poll_errors(settings: Settings, run_id: str) -> list[str]:
    """Print each feed that failed to poll in this run, with what to do about a refused private address."""
    from pipeline import warehouse

    with warehouse.connect(settings, read_only=True) as con:
        rows = con.execute(
            "SELECT feed, error FROM feed_polls WHERE run_id = ? AND outcome = 'error' ORDER BY feed", [run_id]
        ).fetchall()
    for feed, error in rows:
        hint = f" {PRIVATE_HINT}" if _private_refusal(error or "") else ""
        console.print(
            f"[red]feed {escape(str(feed))} failed:[/] {escape(str(error))}{hint}", soft_wrap=True, highlight=False
        )
    return [str(feed) for feed, _ in rows]


def _private_refusal(error: str) -> bool:
    return error.startswith("refused: ") and any(
        f"resolves to {kind} address" in error for kind in ("loopback", "private", "link-local", "unspecified")
    )


def _told(alert: Any, decision: dict[str, Any]) -> None:
    """Say which alert went to on-call (through the NEWSFIGURES_ALERT_* channels, as the DAG's do) and how to look."""
    console.print(f"[red]{alert.subject}[/] — alert sent to: {decision['channels'] or 'no channel configured'}")
    console.print(f"  inspect: {alert.inspect_sql}")


def _print_reported_vs_official(settings: Settings) -> None:
    from pipeline import topics, warehouse

    with warehouse.connect(settings, read_only=True) as con:
        rows = con.execute(
            """SELECT year, metric || coalesce('/' || subgroup, ''), kind, coalesce(reported, reported_ratio), low,
                      high, hedge, coalesce(official, official_ratio), agreement, outlet
               FROM reported_vs_official WHERE year IS NOT NULL
               ORDER BY year, metric, subgroup NULLS FIRST, kind, outlet"""
        ).fetchall()
    source = topics.load(settings.feeds[0].topic if settings.feeds else topics.default()).wording("source")
    table = Table(title=f"Reported vs official ({source or 'the official series'})")
    for name in ("year", "figure", "reported", "hedge", "official", "agreement"):
        table.add_column(name, no_wrap=True)
    table.add_column("outlet", overflow="fold")
    for year, figure, kind, value, low, high, hedge, official, agreement, outlet in rows:
        reported = _number(value) if value is not None else f"{_number(low)}–{_number(high)}"
        stated = _number(official)
        if kind == "ratio":
            reported, stated = f"×{reported}", f"×{official:.2f}" if official is not None else ""
        colour = {"agrees": "green", "disagrees": "red"}.get(agreement, "dim")
        table.add_row(str(year), figure, reported, hedge, stated, f"[{colour}]{agreement}[/]", outlet or "")
    Console(width=max(console.width, 110)).print(table)  # narrower, it wraps numbers and outlets into unreadable cells


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _published(ctx: click.Context, param: click.Parameter, value: str | None) -> Published | None:
    try:
        return Published.parse(value) if value else None
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@main.command(name="figures")
@click.option(
    "--published",
    callback=_published,
    help="Publication date as the page gives it (YYYY, YYYY-MM or YYYY-MM-DD), for 'last year', 'so far this year'.",
)
@click.option(
    "--file",
    "path",
    type=click.File("r", encoding="utf-8"),
    default="-",
    help="Article text (default stdin).",
)
@click.option(
    "--evaluate",
    "labelled",
    type=click.Path(exists=True, dir_okay=False),
    help="Score the extractor on a labelled JSON Lines set instead: F1, per-field accuracy, the misses.",
)
@click.option("--explain", is_flag=True, help="Add to each figure the rule that decided its metric, year and period.")
def figures_command(published: Any, path: Any, labelled: str | None, explain: bool) -> None:
    """Print the figures an article text states, as JSON Lines in order of appearance."""
    from pipeline import figures

    if labelled is not None:
        from pipeline.figures import evaluate

        sys.stdout.write(evaluate.report(evaluate.score(evaluate.load(labelled))) + "\n")
        return
    for figure in figures.extract(path.read(), published=published):
        record = figures.to_json(figure) | ({"why": list(figure.notes)} if explain else {})
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")


@main.command()
def migrate() -> None:
    """Create or upgrade the warehouse (migrations, views, reference series)."""
    from pipeline import warehouse

    with warehouse.connect(Settings.from_env()) as con:
        applied = warehouse.migrate(con)
    console.print(f"applied: {', '.join(applied) or 'nothing (up to date)'}")


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--print-attach", is_flag=True, help="Print the SQL that attaches the configured lake, for any DuckDB.")
@click.argument("duckdb_args", nargs=-1, type=click.UNPROCESSED)
def sql(print_attach: bool, duckdb_args: tuple[str, ...]) -> None:
    """A DuckDB prompt with the configured lake (NEWSFIGURES_CATALOG, NEWSFIGURES_DATA_PATH) attached read-only;
    extra arguments go to duckdb."""
    import os
    import shutil
    from pathlib import Path

    from pipeline import warehouse
    from pipeline.errors import WarehouseError

    settings = Settings.from_env(feeds=())
    try:
        warehouse.connect(settings, read_only=True).close()
    except WarehouseError as exc:
        raise click.ClickException(
            f"no warehouse to query yet: run `make demo` or `newsfigures run` first ({exc})"
        ) from exc
    statements = warehouse.attach_statements(settings, read_only=True)
    if print_attach:
        click.echo("".join(f"{statement};\n" for statement in statements), nl=False)
        return
    duckdb = shutil.which("duckdb", path=str(Path(sys.executable).parent)) or shutil.which("duckdb") or "duckdb"
    commands = [arg for statement in statements for arg in ("-cmd", statement)]
    os.execv(duckdb, [duckdb, *commands, *duckdb_args])


@main.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Directory for the chart (default warehouse/lake/report/).",
)
def report(out_dir: str | None) -> None:
    """Chart a topic's reported yearly counts against its official series: a PNG and a self-contained HTML page."""
    from pathlib import Path

    from pipeline import report as charts
    from pipeline.errors import WarehouseError

    try:
        paths = charts.write(Settings.from_env(), Path(out_dir) if out_dir else charts.DEFAULT_OUT)
    except WarehouseError as exc:
        raise click.ClickException(f"{exc} (run `newsfigures run` or `newsfigures demo` first)") from exc
    for path in paths:
        console.print(f"wrote [bold]{path}[/]", soft_wrap=True)  # a path wrapped mid-name cannot be copied


@main.command(name="extract")
@click.argument("source")
@click.option("--url", help="The page's URL, when SOURCE is a file (for relative links, dates in the path, metadata).")
def extract_command(source: str, url: str | None) -> None:
    """Extract the article from a saved page (PATH) or a fetched one (URL); print it as one JSON object."""
    import asyncio
    from pathlib import Path

    from pipeline.extract import articles

    headers: dict[str, str] = {}
    fetched_at = None
    if source.startswith(("http://", "https://")):
        from pipeline.fetch import http

        settings = Settings.from_env()

        async def fetch() -> Any:
            async with http.client(settings) as client:
                return await http.get(client, source, max_bytes=settings.max_body_bytes)

        response = asyncio.run(fetch())
        body, headers, fetched_at, url = response.body, response.headers, response.fetched_at, url or response.final_url
    else:
        path = Path(source)
        if not path.is_file():
            raise click.ClickException(f"no such file: {source}")
        body, url = path.read_bytes(), url or path.resolve().as_uri()
    article = articles.extract(body, url, headers=headers, fetched_at=fetched_at)
    record: dict[str, Any] = {name: getattr(article, name) for name in ("text", "title", "author")}
    record["published"] = article.published.isoformat() if article.published else None
    for name in ("published_precision", "published_source", "site_name", "language", "canonical_url"):
        record[name] = getattr(article, name)
    for name in ("extraction_method", "status", "reason"):
        record[name] = getattr(article, name)
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))


@main.group()
def feeds() -> None:
    """Find and check feeds."""


@feeds.command()
@click.argument("url")
def discover(url: str) -> None:
    """List the feeds a site's home page announces, as [[feeds]] tables to paste into feeds.toml."""
    import asyncio

    from pipeline import topics
    from pipeline.errors import FetchError
    from pipeline.fetch import discover as discovery
    from pipeline.fetch import http

    settings = Settings.from_env()

    async def find() -> list[discovery.Found]:
        async with http.client(settings) as client:
            return await discovery.discover(client, url, max_bytes=settings.max_body_bytes)

    try:
        found = asyncio.run(find())
    except FetchError as exc:
        raise click.ClickException(f"could not read {url}: {exc.reason}") from exc
    if not found:
        raise click.ClickException(f'{url} announces no feed (no <link rel="alternate"> of a feed type)')
    topic = topics.default()  # the topic files: pipeline/figures/topics/
    for feed in found:
        sys.stdout.write(f"# {feed.kind}: {feed.title or '(untitled)'}\n")
        sys.stdout.write(f'[[feeds]]\nname = ""\nurl = "{feed.url}"\ntopic = "{topic}"\n\n')
