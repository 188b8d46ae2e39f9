"""Benchmark: figure extraction time per article against trafilatura's extraction time for the same pages.

Run from the project root: ``.venv/bin/python benchmarks/figures.py [--repeat N]``. Pages: every demo article, and
the Zyte article-extraction benchmark pages if ../shared (beside the repository) is present (read in place,
never copied). Then how the time grows with the length of one text (linear: 8x the text, 8x the time; quadratic: 64x),
which was a test until a busy machine failed it: timing is measured here, not asserted in the suite.
"""

from __future__ import annotations

import argparse
import gzip
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import trafilatura

from pipeline import figures

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "pipeline" / "demo" / "site"
ZYTE = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "zyte-article-extraction" / "html"


def pages() -> Iterator[tuple[str, str]]:
    """(corpus, html) for every article page available."""
    for path in sorted(DEMO.rglob("*.html")):
        html = path.read_text(encoding="utf-8")
        if "<article" in html:
            yield "demo", html
    if ZYTE.is_dir():
        for path in sorted(ZYTE.glob("*.html.gz")):
            yield "zyte", gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")


def _best(repeat: int, work: Callable[[str], object], arg: str) -> float:
    """The fastest of ``repeat`` runs of ``work(arg)``, in seconds (the least disturbed by the machine)."""
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        work(arg)
        runs.append(time.perf_counter() - began)
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs per page; the fastest counts")
    args = parser.parse_args()
    figures.extract("warm up: 196 defectors arrived in 2023.")
    totals: dict[str, list[float]] = {}
    for corpus, html in pages():
        text = trafilatura.extract(html) or ""
        t_traf = _best(args.repeat, trafilatura.extract, html)
        t_fig = _best(args.repeat, figures.extract, text)
        row = totals.setdefault(corpus, [0, 0.0, 0.0, 0])
        row[0] += 1
        row[1] += t_traf
        row[2] += t_fig
        row[3] += len(text)
    print(
        f"{'corpus':<6} {'pages':>5} {'chars/page':>10} {'trafilatura ms/page':>20}"
        f" {'figures ms/page':>16} {'ratio':>7}"
    )
    for corpus, (n, t_traf, t_fig, chars) in totals.items():
        print(
            f"{corpus:<6} {n:>5} {chars / n:>10.0f} {1000 * t_traf / n:>20.2f} {1000 * t_fig / n:>16.3f}"
            f" {t_fig / t_traf:>7.1%}"
        )

    scaling(args.repeat)


SCALING_UNIT = (
    "About 800 North Korean defectors arrived in the South in 2023, almost three times the 278 reported in 2022. "
    "Of them, 164 were women and 32 were men, up 18 percent from 2022. "
)


def scaling(repeat: int) -> None:
    """Print the time of one text of 100 to 800 repetitions of a figure-dense paragraph, and the growth."""
    times = {n: _best(repeat, figures.extract, SCALING_UNIT * n) for n in (100, 200, 400, 800)}
    print(f"\n{'repetitions':>11} {'chars':>8} {'seconds':>8} {'us/char':>8}")
    for n, seconds in times.items():
        chars = len(SCALING_UNIT) * n
        print(f"{n:>11} {chars:>8} {seconds:>8.3f} {1e6 * seconds / chars:>8.2f}")
    print(f"800 vs 100 repetitions: {times[800] / times[100]:.1f}x the time for 8x the text (quadratic: 64x)")


if __name__ == "__main__":
    main()
