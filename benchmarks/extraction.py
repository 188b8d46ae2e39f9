"""Benchmark: article-body extraction on the Zyte benchmark — trafilatura's defaults, favor_precision, and ours.

Run from the project root: ``.venv/bin/python benchmarks/extraction.py [--repeat N] [--workers N]``. The 181 pages
are read in place from ../shared/benchmarks/zyte-article-extraction (beside the repository, never copied) and
scored by ../shared/tools/score_extraction.py (the benchmark's own metric: word 4-gram shingles, per-page P and R
averaged, F1 of the averages, and the mean F1 of the worst 5% of pages). Pages are split in two halves by host:
the choice rule was tuned looking at half A; half B shows whether it carries over.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import trafilatura
from trafilatura.utils import load_html

from pipeline.extract import articles
from pipeline.extract import body as extraction

SHARED = Path(__file__).resolve().parents[2] / "shared"
BENCH = SHARED / "benchmarks" / "zyte-article-extraction"
SCORER = SHARED / "tools" / "score_extraction.py"

Page = tuple[str, str, bytes]  # id, url, body


def scorer() -> ModuleType:
    """The benchmark's scoring module, loaded from ../shared/tools."""
    spec = importlib.util.spec_from_file_location("score_extraction", SCORER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(bench: Path = BENCH) -> tuple[list[Page], dict[str, str]]:
    """The pages (id, url, gzip-decompressed body) and the ground-truth texts by id."""
    truth = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
    pages = [
        (pid, item["url"], gzip.decompress((bench / "html" / f"{pid}.html.gz").read_bytes()))
        for pid, item in truth.items()
    ]
    return pages, {pid: item["articleBody"] for pid, item in truth.items()}


def half(url: str) -> str:
    """A or B, by a hash of the host, so pages of one site never fall in both halves."""
    host = urlsplit(url).hostname or ""
    return "AB"[int(hashlib.md5(host.encode()).hexdigest(), 16) % 2]


def _html(body: bytes) -> str:
    return body.decode("utf-8", "replace")  # the benchmark's pages are UTF-8


def _with_metadata(body: bytes, url: str) -> str:
    doc = trafilatura.bare_extraction(_html(body), url=url, with_metadata=True)
    return (doc.text or "") if doc is not None else ""


def _ours_body(body: bytes, url: str) -> str:
    return extraction.article_body(load_html(_html(body)), url).text


# text only, then text with metadata (what the pipeline needs): compare ours to the default of the same kind
METHODS: dict[str, Callable[[bytes, str], str]] = {
    "trafilatura default": lambda body, url: trafilatura.extract(_html(body), url=url) or "",
    "trafilatura favor_precision": lambda body, url: (
        trafilatura.extract(_html(body), url=url, favor_precision=True) or ""
    ),
    "ours: article_body": _ours_body,
    "trafilatura default+metadata": _with_metadata,
    "ours: articles.extract": lambda body, url: articles.extract(body, url).text,
}
BASELINES = {"ours: article_body": "trafilatura default", "ours: articles.extract": "trafilatura default+metadata"}


def run(method: Callable[[bytes, str], str], pages: list[Page], repeat: int) -> tuple[dict[str, str], float]:
    """Predictions by page id and the mean seconds per page (each page: the fastest of ``repeat`` runs)."""
    predicted, seconds = {}, []
    for pid, url, body in pages:
        runs = []
        for _ in range(repeat):
            began = time.perf_counter()
            predicted[pid] = method(body, url)
            runs.append(time.perf_counter() - began)
        seconds.append(min(runs))
    return predicted, statistics.mean(seconds)


def throughput(pages: list[Page], workers: int) -> float:
    """Pages per second for ``articles.extract_many`` over every page with ``workers`` processes."""
    batch = [articles.PageInput(body, url) for _, url, body in pages]
    began = time.perf_counter()
    articles.extract_many(batch, workers=workers)
    return len(batch) / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1, help="runs per page; the fastest counts")
    parser.add_argument("--workers", type=int, default=2, help="processes for the throughput line")
    parser.add_argument("--bench", type=Path, default=BENCH)
    args = parser.parse_args()
    score = scorer().score
    pages, truth = load(args.bench)
    halves = {h: {pid for pid, url, _ in pages if half(url) == h} for h in "AB"}
    print(
        f"{'method':29} {'P':>6} {'R':>6} {'F1':>6} {'worst5%':>7} {'F1 A':>6} {'F1 B':>6} {'ms/page':>8} {'x base':>6}"
    )
    seconds: dict[str, float] = {}
    for name, method in METHODS.items():
        predicted, seconds[name] = run(method, pages, args.repeat)
        whole = score(truth, predicted)
        f1 = {h: score({p: truth[p] for p in ids}, predicted)["f1"] for h, ids in halves.items()}
        ratio = seconds[name] / seconds[BASELINES.get(name, name)]
        print(
            f"{name:29} {whole['precision']:6.3f} {whole['recall']:6.3f} {whole['f1']:6.3f} "
            f"{whole['f1_worst_5pct']:7.3f} "
            f"{f1['A']:6.3f} {f1['B']:6.3f} {1000 * seconds[name]:8.1f} {ratio:6.2f}"
        )
    single, parallel = throughput(pages, 1), throughput(pages, args.workers)
    print(f"extract_many: {single:.1f} pages/s in 1 process, {parallel:.1f} pages/s in {args.workers}", end=" ")
    print(f"({parallel / single:.2f}x)")


if __name__ == "__main__":
    main()
