"""The analyst's chart: a topic's reported yearly counts against its official series, as PNG and self-contained HTML.

What is counted and the words on the chart come from the topic's file (``pipeline.topics``).
"""

from __future__ import annotations

import base64
import html
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline import topics, warehouse
from pipeline.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

DEFAULT_OUT = PROJECT_ROOT / "warehouse" / "lake" / "report"
NAME = "reported_vs_official"
REPORTED = """
    SELECT year, coalesce(reported, (low + high) / 2), low, high, hedge, agreement, outlet, url, published_at
    FROM reported_vs_official
    WHERE topic = $topic AND metric = $metric AND subgroup IS NULL AND kind = 'count' AND year IS NOT NULL
    ORDER BY year, published_at, url"""
OFFICIAL = """
    SELECT year, value FROM reference_series
    WHERE topic = $topic AND metric = $metric AND subgroup IS NULL AND status = 'final'
    QUALIFY row_number() OVER (PARTITION BY topic, year ORDER BY as_of DESC NULLS LAST) = 1
    ORDER BY year"""
# every label is plain text: an outlet named "Evil $\frac{$ News" is drawn as written, never parsed as mathtext
PLAIN: dict[str, Any] = {"parse_math": False}
COLOURS = {"agrees": "#2b8a3e", "disagrees": "#c92a2a", "no_reference": "#868e96"}


@dataclass(frozen=True)
class Report:
    """One reported yearly count, as the chart draws it."""

    year: int
    value: float
    low: float | None
    high: float | None
    hedge: str
    agreement: str
    outlet: str
    url: str
    published_at: datetime | None


def series(con: Any, topic: topics.Topic) -> tuple[list[Report], dict[int, float]]:
    """The topic's reported yearly counts (per period, all subgroups together) and its final official values."""
    where = {"topic": topic.name, "metric": topic.period_metric}
    reports = [Report(*row) for row in con.execute(REPORTED, where).fetchall()]
    official = {int(year): float(value) for year, value in con.execute(OFFICIAL, where).fetchall()}
    return reports, official


def write(settings: Settings, out_dir: Path = DEFAULT_OUT, topic: str | None = None) -> list[Path]:
    """Draw reported against official counts per year of ``topic`` (default: the first feed's); write the PNG and
    the HTML page; return their paths."""
    chosen = topics.load(topic or (settings.feeds[0].topic if settings.feeds else topics.default()))
    with warehouse.connect(settings, read_only=True) as con:
        reports, official = series(con, chosen)
    out_dir.mkdir(parents=True, exist_ok=True)
    png = render_png(reports, official, chosen)
    png_path, html_path = out_dir / f"{NAME}.png", out_dir / f"{NAME}.html"
    png_path.write_bytes(png)
    html_path.write_text(render_html(reports, official, png, chosen), encoding="utf-8")
    log.info("chart of %d reports written to %s", len(reports), out_dir)
    return [png_path, html_path]


def render_png(reports: Sequence[Report], official: dict[int, float], topic: topics.Topic) -> bytes:
    """The chart as PNG bytes (matplotlib's Agg canvas: no display, no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import ScalarFormatter

    figure = Figure(figsize=(11, 6), dpi=110)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    years = _year_span(reports, official)
    shown = [y for y in years if y in official]
    ax.plot(shown, [official[y] for y in shown], color="#1c7ed6", marker="o", lw=2, label="official (final)")
    for agreement, colour in COLOURS.items():
        chosen = [r for r in reports if r.agreement == agreement]
        if chosen:
            ax.scatter(
                [r.year for r in chosen],
                [r.value for r in chosen],
                color=colour,
                marker="X" if agreement == "disagrees" else "o",
                s=90 if agreement == "disagrees" else 36,
                alpha=0.85,
                zorder=3,
                label=f"reported, {agreement.replace('_', ' ')} ({len(chosen)})",
            )
    for r in reports:
        if r.low is not None and r.high is not None:
            ax.vlines(r.year, r.low, r.high, color=COLOURS.get(r.agreement, "grey"), lw=2, alpha=0.6)
    _label_misreports(ax, reports, official)
    ax.set_yscale("log")  # 63 and 2,914 both readable; a misreport's distance is then its ratio to the truth
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.set_xticks(years)
    ax.tick_params(axis="x", labelrotation=90 if len(years) > 16 else 0)
    ax.set_xlabel(topic.wording("x_label") or "year", **PLAIN)
    ax.set_ylabel(topic.wording("y_label") or topic.period_metric, **PLAIN)
    ax.set_title(topic.wording("title") or "What the news reported vs the official figures", **PLAIN)
    ax.grid(alpha=0.3)
    for label in ax.legend(loc="upper right").get_texts():
        label.set_parse_math(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _year_span(reports: Sequence[Report], official: dict[int, float]) -> list[int]:
    """The years to draw: those reported, with a year of official context either side."""
    reported = [r.year for r in reports]
    if not reported:
        return sorted(official)
    return list(range(min(reported) - 1, max(reported) + 2))


def _label_misreports(ax: Any, reports: Sequence[Report], official: dict[int, float]) -> None:
    """Name each disagreeing value with its outlet(s), once per year and value, beside its marker."""
    labels: dict[tuple[int, float], list[str]] = {}
    for r in reports:
        if r.agreement == "disagrees":
            outlets = labels.setdefault((r.year, r.value), [])
            if r.outlet not in outlets:
                outlets.append(r.outlet)
    placed: list[tuple[int, float]] = []
    for (year, value), outlets in sorted(labels.items(), key=lambda item: item[0][1]):
        y = value
        # labels of nearby years stack upwards (on the log axis) instead of printing over each other
        for other_year, other_y in placed:
            if abs(other_year - year) <= 3 and other_y / 1.16 < y < other_y * 1.16:
                y = other_y * 1.16
        placed.append((year, y))
        text = f"{value:,.0f} ({', '.join(outlets)})" + (f" vs {official[year]:,.0f}" if year in official else "")
        ax.annotate(
            text,
            (year, value),
            xytext=(year + 0.35, y),
            textcoords="data",
            va="center",
            fontsize=8,
            color=COLOURS["disagrees"],
            arrowprops={"arrowstyle": "-", "color": COLOURS["disagrees"], "lw": 0.6},
            **PLAIN,
        )


def render_html(reports: Sequence[Report], official: dict[int, float], png: bytes, topic: topics.Topic) -> str:
    """A standalone page: the chart embedded as base64 and a table of the disagreeing reports with links."""
    image = base64.b64encode(png).decode("ascii")
    rows = "\n".join(
        _ROW.format(
            r.year,
            _number(r.value),
            html.escape(r.hedge),
            _number(official.get(r.year)),
            html.escape(r.outlet or ""),
            f"{r.published_at:%Y-%m-%d}" if r.published_at else "",
            html.escape(r.url, quote=True),
            html.escape(r.url),
        )
        for r in reports
        if r.agreement == "disagrees"
    )
    agreeing = sum(1 for r in reports if r.agreement == "agrees")
    disagreeing = sum(1 for r in reports if r.agreement == "disagrees")
    subject = html.escape(topic.wording("subject") or topic.period_metric)
    return _PAGE.format(
        subject=subject,
        source=html.escape(topic.wording("source") or "the official series"),
        image=image,
        summary=f"{len(reports)} reported yearly counts: {agreeing} agree, {disagreeing} disagree.",
        rows=rows or '<tr><td colspan="7">No disagreeing reports.</td></tr>',
    )


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


_ROW = '<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><a href="{}">{}</a></td></tr>'
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Reported vs official: {subject}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1250px; color: #212529; }}
img {{ max-width: 100%; }}
table {{ border-collapse: collapse; margin-top: 1em; }}
th, td {{ border-bottom: 1px solid #dee2e6; padding: 4px 10px; text-align: left; }}
td:nth-child(2), td:nth-child(4) {{ text-align: right; }}
</style>
</head>
<body>
<h1>Reported vs official: {subject}</h1>
<p>{summary} Official: {source}, final figures (view <code>reported_vs_official</code>).</p>
<img alt="Reported yearly counts against the official series; disagreeing reports marked with their outlets"
     src="data:image/png;base64,{image}">
<h2>Disagreeing reports</h2>
<table>
<thead><tr><th>year</th><th>reported</th><th>hedge</th><th>official</th><th>outlet</th><th>published</th><th>article</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""
