"""Benchmark: Pandera validation of 100k figure rows (rows/s), beside the cost of finding those figures.

Run from the project root: ``.venv/bin/python benchmarks/validation.py [--rows N]``. The frame is built from the demo
site's articles: their real figures, repeated with distinct URLs until it holds N rows; one row in a hundred is broken
(a span not in the text) so the quarantine path is timed too.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import pandas as pd
import trafilatura

from pipeline import figures
from pipeline.checks.validate import validate
from pipeline.demo.server import SITE
from pipeline.warehouse.frames import ToRead, figure_rows, published_of


def demo_articles() -> list[ToRead]:
    """Every demo article page, to read its figures."""
    found = []
    for page in sorted(SITE.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        if "<article" in html:
            text = trafilatura.extract(html) or ""
            url = f"https://demo.example/{page.relative_to(SITE)}"
            found.append(ToRead(url, text, datetime(2026, 2, 1, tzinfo=UTC), "day", None, "defection"))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    started = time.perf_counter()
    articles = demo_articles()
    trafilatura_s = time.perf_counter() - started
    at = datetime.now(UTC)
    started = time.perf_counter()
    read = [(a, figures.extract(a.text, published=published_of(a), topic=a.topic)) for a in articles]
    one_pass = figure_rows(read, "bench", at)
    extract_s = time.perf_counter() - started
    copies = -(-args.rows // len(one_pass))
    frames = [one_pass.assign(article_url=one_pass["article_url"] + f"?copy={n}") for n in range(copies)]
    frame = pd.concat(frames, ignore_index=True).head(args.rows)
    broken = frame.index[::100]
    frame.loc[broken, ["span_text", "span_matches_text"]] = ["not in the text", False]
    started = time.perf_counter()
    checked = validate(frame, "figures", run_id="bench", at=at)
    validate_s = time.perf_counter() - started
    per_row_extract = extract_s / len(one_pass)
    per_row_article = trafilatura_s / len(one_pass)
    per_row_validate = validate_s / len(frame)
    print(f"extractor {figures.EXTRACTOR_VERSION}: {len(one_pass)} figures from {len(articles)} demo articles")
    print(f"extracting article text (trafilatura): {per_row_article * 1e6:8.1f} µs per figure found")
    print(f"finding figures:                       {per_row_extract * 1e6:8.1f} µs per figure")
    print(f"validating (Pandera, lazy):            {per_row_validate * 1e6:8.1f} µs per row")
    print(f"validation: {1 / per_row_validate:,.0f} rows/s over {len(frame):,} rows, {checked.failed:,} quarantined")
    print(f"validation / extraction cost per figure: {per_row_validate / (per_row_extract + per_row_article):.1%}")


if __name__ == "__main__":
    main()
