"""Benchmark: how a pipeline pass scales with the number of new articles, measured from outside the pipeline.

Run from the project root: ``.venv/bin/python benchmarks/scaling.py [--sizes 1000,10000,50000] [--profile embedded]``.
For each N: a synthetic site of 10 outlets (``benchmarks/newssite.py``, loopback, one RSS feed each listing all its
articles) holds N articles; on a fresh lake, ``newsfigures -v run`` runs three times, each a separate OS process:

1. **full**: every article is new;
2. **incremental**: after the site published 1% more (at least 1);
3. **empty**: nothing new (every feed answers 304).

Per pass: wall seconds, CPU seconds of the child and its pool workers (``os.wait4``), CPU ms per new article, cores used
(CPU / wall), peak RSS of the pass's main process and the sum over its process tree (psutil, sampled every 0.2 s;
``ru_maxrss`` is kept in the JSON only: Linux carries the launching process's RSS across ``exec`` into the child's, so
it read this script's own size, 389 MB on an empty pass at N = 50,000), the per-stage counts the run recorded
(``runs.counts``, read-only), and per-stage seconds from the child's log lines (best effort: the stage's last
``pipeline.flow`` line). The empty run's CPU is the fixed cost of a pass. Then ``articles.extract_many`` on the same
synthetic pages with 1 worker and with ``os.cpu_count()`` workers, in process.

``--profile stack`` reads the settings of ``make stack`` from ``.stack/env`` (PostgreSQL catalog, S3 data path and
raw archive): each N gets a fresh catalog database (``bench_<stamp>_<N>``) and S3 prefixes of its own. Settings set for
every pass (the site is on loopback and should not be crawled politely): ALLOW_PRIVATE_ADDRESSES=true, HOST_DELAY=0,
FEED_PARSE_TIMEOUT=600 (a 5,000-item feed parses for seconds); HOST_CONCURRENCY and FETCH_CONCURRENCY keep their
defaults (2 per outlet, 8). ``--bytecode cached`` (the default) lets the children cache compiled modules
(``bytecode_env``); ``as-is`` keeps this environment's PYTHONDONTWRITEBYTECODE.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import newssite

from pipeline import warehouse
from pipeline.extract import articles
from pipeline.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
NEWSFIGURES = str(Path(sys.executable).parent / "newsfigures")
LOOPBACK = {
    "NEWSFIGURES_ALLOW_PRIVATE_ADDRESSES": "true",
    "NEWSFIGURES_HOST_DELAY": "0",
    "NEWSFIGURES_FEED_PARSE_TIMEOUT": "600",
}
# The stages' closing log lines (pipeline.flow, pipeline.warehouse.runs), in the order a pass writes them.
MARKS = [
    ("started", "pipeline.warehouse.runs", "run "),
    ("poll_feeds", "pipeline.flow", "polled "),
    ("fetch_pages", "pipeline.fetch.pages", "fetched "),
    ("extract_articles", "pipeline.flow", "extracted "),
    ("find_figures", "pipeline.flow", "read figures"),
    ("finished", "pipeline.warehouse.runs", "run "),
]
LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \w+ ([\w.]+): (.*)$")


def lake_env(profile: str, root: Path, n: int, stack_env: Path) -> dict[str, str]:
    """NEWSFIGURES_* settings of a fresh lake for size ``n``: under ``root``, or on the stack's PostgreSQL and S3."""
    feeds = root / "feeds.toml"
    if profile == "embedded":
        return {
            "NEWSFIGURES_FEEDS_FILE": str(feeds),
            "NEWSFIGURES_CATALOG": f"sqlite:{root / 'lake' / 'catalog.sqlite'}",
            "NEWSFIGURES_DATA_PATH": f"{root / 'lake' / 'data'}/",
            "NEWSFIGURES_ARCHIVE_DIR": str(root / "lake" / "archive"),
        }
    import psycopg

    stack = read_env_file(stack_env)
    stamp = f"{datetime.now():%Y%m%d%H%M%S}_{n}"
    catalog = stack["NEWSFIGURES_CATALOG"].removeprefix("postgres:")
    with psycopg.connect(re.sub(r"dbname=\S+", "dbname=postgres", catalog), autocommit=True) as pg:
        pg.execute(f'CREATE DATABASE "bench_{stamp}"')
    return {
        **stack,
        "NEWSFIGURES_FEEDS_FILE": str(feeds),
        "NEWSFIGURES_CATALOG": "postgres:" + re.sub(r"dbname=\S+", f"dbname=bench_{stamp}", catalog),
        "NEWSFIGURES_DATA_PATH": stack["NEWSFIGURES_DATA_PATH"].rstrip("/") + f"-bench/{stamp}/",
        "NEWSFIGURES_ARCHIVE_DIR": stack["NEWSFIGURES_ARCHIVE_DIR"].rstrip("/") + f"-bench/{stamp}/",
    }


def read_env_file(path: Path) -> dict[str, str]:
    """The ``export NAME='value'`` lines of a file such as ``.stack/env``."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            found[name] = value
    return found


def child_env(lake: Mapping[str, str], bytecode: str = "cached") -> dict[str, str]:
    """This process's environment without AIRFLOW*/NEWSFIGURES_* settings, plus the lake's and the loopback ones,
    and with ``bytecode="cached"`` a bytecode cache (``bytecode_env``)."""
    own = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "NEWSFIGURES_"))}
    cache = bytecode_env() if bytecode == "cached" else {}
    return {**own, "NO_PROXY": "127.0.0.0/8", "no_proxy": "127.0.0.0/8", **lake, **LOOPBACK, **cache}


def bytecode_env() -> dict[str, str]:
    """Variables that let Python cache compiled modules, outside the tree, as a deployed install would.

    This dev container sets PYTHONDONTWRITEBYTECODE=1 and the venv holds no .pyc files, so without a cache every
    process compiles every module it imports (pandas, pandera, DuckDB's and Airflow's Python) from source, each run.
    """
    return {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "newsfigures-pyc")}


def warm_bytecode(env: Mapping[str, str]) -> None:
    """Compile the modules a pass imports into the cache once, so that the first measured pass does not pay it."""
    imports = "import pipeline.cli, pipeline.flow, pipeline.warehouse.runs"
    subprocess.run([sys.executable, "-c", imports], env=dict(env), cwd=ROOT, check=True)


def run_pass(env: Mapping[str, str], log: Path) -> dict[str, Any]:
    """Run ``newsfigures -v run`` as a child process; its wall and CPU time, peak RSS, log-derived stage seconds."""
    import psutil  # Airflow's dependency: the RSS samples and the pool workers' CPU

    ticks = _cpu_ticks()
    with log.open("wb") as out:
        began, started_at = time.perf_counter(), time.time()
        child = subprocess.Popen([NEWSFIGURES, "-v", "run"], env=dict(env), cwd=ROOT, stdout=out, stderr=out)
        tree_peak, status, usage = 0, 0, None
        workers_cpu: dict[int, float] = {}  # pool workers (grandchildren, whose CPU wait4 never sees): last seen
        samples: list[tuple[float, int]] = []  # (time, the main process's RSS): to tell which stage peaks
        while usage is None:
            pid, status, rusage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                usage = rusage
                break
            tree_peak = max(tree_peak, _tree_rss(psutil, child.pid))
            workers_cpu.update(_descendants_cpu(psutil, child.pid))
            samples.append((time.time(), _rss(psutil, child.pid)))
            time.sleep(0.2)
        wall = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime + sum(workers_cpu.values())
    result = {
        "main_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "workers_cpu_s": round(sum(workers_cpu.values()), 2),
        "exit": child.returncode,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "user_s": round(usage.ru_utime, 2),
        "sys_s": round(usage.ru_stime, 2),
        "cores_used": round(cpu / wall, 2),
        "max_rss_mb": round(max((rss for _, rss in samples), default=0) / 2**20, 1),  # the main process, sampled
        # KiB on Linux, and no lower than this script's RSS when it started the child (kept across vfork and exec)
        "ru_maxrss_mb": round(usage.ru_maxrss / 1024, 1),
        "tree_rss_mb": round(tree_peak / 2**20, 1),
        "steal_pct": _steal_pct(ticks, _cpu_ticks()),
    }
    marks = stage_marks(log.read_text(encoding="utf-8", errors="replace"))
    result["stage_s"] = stage_seconds(marks, started_at, wall)
    result["stage_rss_mb"] = stage_peaks(marks, samples) if samples else None
    if child.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"newsfigures run exited {child.returncode}; the end of {log}:\n{tail}")
    return result


def _cpu_ticks() -> list[int]:
    """The machine's CPU time by kind (the ``cpu`` line of /proc/stat; empty where there is none)."""
    try:
        return [int(v) for v in Path("/proc/stat").read_text(encoding="ascii").split("\n", 1)[0].split()[1:]]
    except OSError:
        return []


def _steal_pct(before: list[int], after: list[int]) -> float | None:
    """The share of the machine's CPU time the hypervisor gave to other guests in between (``steal``): when it is
    high, CPU seconds stay comparable but wall times do not."""
    if len(before) < 8 or len(after) < 8:
        return None
    spent = [b - a for a, b in zip(before, after, strict=False)]
    return round(100 * spent[7] / max(1, sum(spent[:8])), 1)


def _rss(psutil: Any, pid: int) -> int:
    try:
        return int(psutil.Process(pid).memory_info().rss)
    except psutil.Error:
        return 0


def _tree_rss(psutil: Any, pid: int) -> int:
    try:
        root = psutil.Process(pid)
        return int(sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]))
    except psutil.Error:
        return 0


def _descendants_cpu(psutil: Any, pid: int) -> dict[int, float]:
    """CPU seconds so far of each process below ``pid`` (the forkserver and the extraction workers)."""
    found = {}
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return {}
    for process in children:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        found[process.pid] = times.user + times.system
    return found


def stage_marks(log: str) -> dict[str, float]:
    """The time of each stage's closing log line (the last one: a batched stage may log per batch)."""
    times: dict[str, float] = {}
    for line in log.splitlines():
        match = LOG_LINE.match(line)
        if not match:
            continue
        at = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
        for mark, logger, prefix in MARKS:
            message = match.group(3)
            if match.group(2) == logger and message.startswith(prefix):
                if logger.endswith("runs") and (" started" in message) != (mark == "started"):
                    continue
                times[mark] = at
    return times


def stage_seconds(times: Mapping[str, float], started_at: float, wall: float) -> dict[str, float] | None:
    """Seconds per stage from the times of the stages' closing log lines; ``before_start``: from the launch to the
    run recorded (imports, connect, migrate), ``finished``: the last stage's policy and the run record,
    ``after_finish``: the CLI's closing query and the exit."""
    if [m for m, _, _ in MARKS if m not in times]:
        return None
    seconds = {"before_start": round(times["started"] - started_at, 2)}
    for (before, _, _), (mark, _, _) in itertools.pairwise(MARKS):
        seconds[mark] = round(times[mark] - times[before], 2)
    seconds["after_finish"] = round(started_at + wall - times["finished"], 2)
    return None if min(seconds.values()) < 0 else seconds


def stage_peaks(times: Mapping[str, float], samples: list[tuple[float, int]]) -> dict[str, float]:
    """The main process's largest sampled RSS (MB) in each stage, a stage ending at its closing log line."""
    ends = sorted((at, mark) for mark, at in times.items())
    peaks: dict[str, float] = {}
    for at, rss in samples:
        stage = next((mark for end, mark in ends if at <= end), "after_finish")
        peaks[stage] = max(peaks.get(stage, 0.0), round(rss / 2**20, 1))
    return peaks


def recorded(env: Mapping[str, str]) -> dict[str, Any]:
    """The latest run's status and per-stage counts, and the lake's size, through a read-only connection."""
    settings = Settings.from_env(dict(env), feeds=())
    with warehouse.connect(settings, read_only=True) as con:
        run_id, status, counts = con.execute(
            "SELECT run_id, status, counts FROM runs ORDER BY started_at DESC LIMIT 1"
        ).fetchone() or (None, None, None)
        stories = con.execute("SELECT count(*), count(DISTINCT story_id) FROM articles").fetchone()
    return {
        "run_id": run_id,
        "status": status,
        "counts": json.loads(counts or "{}"),
        "articles_total": stories[0] if stories else None,
        "stories_total": stories[1] if stories else None,
    }


def scenario(
    n: int, profile: str, seed: int, stack_env: Path, keep: Path | None, bytecode: str, *, serial: bool = False
) -> dict[str, Any]:
    """The full, incremental and empty passes for a site of ``n`` articles on a fresh lake (``serial``: and the full
    pass once more on another fresh lake with one extraction worker, the serial rate a full run is compared with)."""
    with ExitStack() as stack:
        if keep is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"scaling-{n}-")))
        else:
            root = Path(tempfile.mkdtemp(prefix=f"scaling-{n}-", dir=keep))
        site = stack.enter_context(newssite.serve(newssite.Site(seed, n)))
        lake = lake_env(profile, root, n, stack_env)
        write_feeds(root / "feeds.toml", site)
        env = child_env(lake, bytecode)
        if bytecode == "cached":
            warm_bytecode(env)
        passes = []
        for name in ("full", "full-serial", "incremental", "empty"):
            if name == "full-serial" and not serial:
                continue
            if name == "incremental":
                site.publish(max(1, math.ceil(n / 100)))
            # full-serial: the full pass again on a fresh lake of its own, extracting in the stage's own process
            lake_of = (
                env if name != "full-serial" else serial_env(profile, root / "serial", n, stack_env, bytecode, site)
            )
            load, server_cpu = os.getloadavg()[0], time.process_time()
            measured = run_pass(lake_of, root / f"{name}.log")
            measured["server_cpu_s"] = round(time.process_time() - server_cpu, 2)  # this process: the site's threads
            passes.append(_rates({"pass": name, "load_before": round(load, 1), **measured, **recorded(lake_of)}))
            print(_row(n, passes[-1]), flush=True)
        lake_after = upkeep(env)
        print(f"{n:>6} lake: {lake_after}", flush=True)
    return {"n": n, "passes": passes, **_fixed_and_marginal(passes), **_serial_ratio(passes), "lake": lake_after}


def write_feeds(path: Path, site: newssite.Site) -> None:
    """The site's feeds as a feeds file."""
    entries = (f'[[feeds]]\nname = "{k}"\nurl = "{u}"\ntopic = "defection"\n\n' for k, u in site.feed_urls().items())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(entries), encoding="utf-8")


def serial_env(profile: str, root: Path, n: int, stack_env: Path, bytecode: str, site: newssite.Site) -> dict[str, str]:
    """A fresh lake's environment (its own feeds file, the same site) whose runs extract in one process."""
    root.mkdir()
    lake = lake_env(profile, root, n, stack_env)
    write_feeds(root / "feeds.toml", site)
    return child_env({**lake, "NEWSFIGURES_EXTRACT_WORKERS": "1"}, bytecode)


def _serial_ratio(passes: list[dict[str, Any]]) -> dict[str, Any]:
    """The extract stage's rate in the full pass against the same stage with one worker (``full-serial``)."""
    by = {p["pass"]: p for p in passes}
    if "full-serial" not in by or not by["full"]["extract_pages_per_s"] or not by["full-serial"]["extract_pages_per_s"]:
        return {}
    return {
        "extract_stage_vs_serial": round(
            by["full"]["extract_pages_per_s"] / by["full-serial"]["extract_pages_per_s"], 2
        )
    }


MARTS = ("reported_vs_official", "outlet_accuracy", "reporting_timeline", "ingestion_health")


def upkeep(env: Mapping[str, str]) -> dict[str, Any]:
    """The lake's live files before and after maintenance, and how long each mart takes to read in full after it."""
    from pipeline.warehouse import maintenance

    settings = Settings.from_env(dict(env), feeds=())
    before = live_files(settings)
    began = time.perf_counter()
    done = maintenance.maintain(settings, now=datetime.now(UTC))
    maintain_s = time.perf_counter() - began
    seconds = {}
    with warehouse.connect(settings, read_only=True) as con:
        for mart in MARTS:
            began = time.perf_counter()
            rows = len(con.execute(f"SELECT * FROM {mart}").fetchall())
            seconds[mart] = {"rows": rows, "s": round(time.perf_counter() - began, 2)}
    return {"files_before": before, "maintain_s": round(maintain_s, 1), "maintained": done,
            "files_after": live_files(settings), "marts": seconds}  # fmt: skip


def live_files(settings: Settings) -> dict[str, int]:
    """Parquet data files and delete files the lake's current snapshot uses (from its catalog)."""
    meta = f"__ducklake_metadata_{warehouse.LAKE}"
    with warehouse.connect(settings, read_only=True) as con:
        data, deletes = (
            con.execute(f"SELECT count(*) FROM {meta}.{table} WHERE end_snapshot IS NULL").fetchone()[0]  # type: ignore[index]
            for table in ("ducklake_data_file", "ducklake_delete_file")
        )
    return {"data": int(data), "delete": int(deletes)}


def new_articles(measured: Mapping[str, Any]) -> int:
    return int(measured["counts"].get("extract_articles", {}).get("articles", 0))


def _rates(p: dict[str, Any]) -> dict[str, Any]:
    """The pass with its CPU ms per new article and its fetch and extraction rates (pages/s over the stage's time)."""
    count = new_articles(p)
    p["cpu_ms_per_new_article"] = round(1000 * p["cpu_s"] / count, 1) if count else None
    stages = p.get("stage_s") or {}
    extracted = count + int(p["counts"].get("extract_articles", {}).get("no_article", 0))
    fetched = int(p["counts"].get("fetch_pages", {}).get("fetched", 0))
    for name, done, stage in (("extract", extracted, "extract_articles"), ("fetch", fetched, "fetch_pages")):
        seconds = stages.get(stage)
        p[f"{name}_pages_per_s"] = round(done / seconds, 1) if seconds and done else None
    return p


def _fixed_and_marginal(passes: list[dict[str, Any]]) -> dict[str, Any]:
    """The fixed cost of a pass (the empty one) and the cost per new article beyond it (full minus empty)."""
    by = {p["pass"]: p for p in passes}
    full, empty = by["full"], by["empty"]
    new = max(new_articles(full), 1)
    return {
        "fixed_cpu_s": empty["cpu_s"],
        "fixed_wall_s": empty["wall_s"],
        "marginal_cpu_ms_per_article": round(1000 * (full["cpu_s"] - empty["cpu_s"]) / new, 1),
        "marginal_wall_ms_per_article": round(1000 * (full["wall_s"] - empty["wall_s"]) / new, 1),
    }


HEADER = (
    f"{'N':>6} {'pass':11} {'new':>6} {'wall s':>7} {'CPU s':>7} {'CPU ms/new':>10} {'cores':>5} "
    f"{'RSS MB':>6} {'tree MB':>7} {'extract/s':>9} {'status':7} {'load':>5}"
)


def _row(n: int, p: Mapping[str, Any]) -> str:
    per, rate = p["cpu_ms_per_new_article"], p["extract_pages_per_s"]
    return (
        f"{n:>6} {p['pass']:11} {new_articles(p):>6} {p['wall_s']:>7.1f} {p['cpu_s']:>7.1f} {per or '-':>10} "
        f"{p['cores_used']:>5.2f} {p['max_rss_mb']:>6.0f} {p['tree_rss_mb'] or 0:>7.0f} {rate or '-':>9} "
        f"{p['status'] or '-':7} {p['load_before']:>5}"
        + (f"  steal {p['steal_pct']}%" if p.get("steal_pct") else "")
        + (f"  stages: {p['stage_s']}" if p["stage_s"] else "")
        + (f"  RSS MB by stage: {p['stage_rss_mb']}" if p["stage_rss_mb"] else "")
    )


def extraction_rates(seed: int, count: int, repeat: int) -> dict[str, Any]:
    """``articles.extract_many`` on ``count`` synthetic pages: pages/s with 1 worker and with every core (each the
    best of ``repeat`` rounds, the two alternating, so a burst of load elsewhere does not favour one of them)."""
    base = "http://127.0.0.1:8000"
    pages = [
        articles.PageInput(
            newssite.page(seed, i, base),
            f"{base}/article-{i}.html",
            headers={"content-type": "text/html; charset=utf-8"},
            topic="defection",
        )
        for i in range(count)
    ]
    cores = os.cpu_count() or 1
    rates: dict[int, list[float]] = {1: [], cores: []}
    for _ in range(repeat):
        for workers in rates:
            began = time.perf_counter()
            found = articles.extract_many(pages, workers=workers)
            rates[workers].append(count / (time.perf_counter() - began))
            assert all(a.status == "ok" for a in found), "a synthetic page gave no article"
    serial, parallel = max(rates[1]), max(rates[cores])
    return {
        "pages": count,
        "workers": cores,
        "rounds": repeat,
        "serial_pages_per_s": round(serial, 1),
        "parallel_pages_per_s": round(parallel, 1),
        "ratio": round(parallel / serial, 2),
        "all_rounds": {str(w): [round(r, 1) for r in found] for w, found in rates.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000,50000", help="comma-separated article counts N")
    parser.add_argument("--profile", choices=("embedded", "stack"), default="embedded")
    parser.add_argument("--stack-env", type=Path, default=ROOT / ".stack" / "env", help="for --profile stack")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--extract-pages", type=int, default=1000, help="pages for the serial/parallel extraction")
    parser.add_argument("--extract-rounds", type=int, default=3, help="rounds of it; the best of each counts")
    parser.add_argument("--out", type=Path, default=Path("results.json"))
    parser.add_argument(
        "--bytecode",
        choices=("cached", "as-is"),
        default="cached",
        help="cached: the children cache compiled modules (PYTHONPYCACHEPREFIX); as-is: this environment's setting",
    )
    parser.add_argument(
        "--serial-sizes",
        default="",
        help="comma-separated N at which the full pass runs once more with one extraction worker (the serial rate)",
    )
    parser.add_argument("--keep", type=Path, help="keep each lake and the runs' logs in a folder under this one")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    started = datetime.now().astimezone()
    print(
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, profile {args.profile}, "
        f"bytecode {args.bytecode}"
    )
    print(HEADER)
    serial = {int(s) for s in args.serial_sizes.split(",") if s.strip()}
    scenarios = [
        scenario(n, args.profile, args.seed, args.stack_env, args.keep, args.bytecode, serial=n in serial)
        for n in sizes
    ]
    for s in scenarios:
        print(
            f"N={s['n']}: fixed cost (empty pass) {s['fixed_cpu_s']:.1f} CPU s / {s['fixed_wall_s']:.1f} s wall; "
            f"beyond it {s['marginal_cpu_ms_per_article']:.1f} CPU ms and {s['marginal_wall_ms_per_article']:.1f} "
            "wall ms per new article"
            + (
                f"; extract stage {s['extract_stage_vs_serial']}x its rate with one worker"
                if "extract_stage_vs_serial" in s
                else ""
            )
        )
    extraction = extraction_rates(args.seed, args.extract_pages, args.extract_rounds)
    print(
        f"extract_many on {extraction['pages']} synthetic pages: {extraction['serial_pages_per_s']} pages/s in 1 "
        f"process, {extraction['parallel_pages_per_s']} in {extraction['workers']} ({extraction['ratio']}x)"
    )
    last = scenarios[-1]
    projection = {
        str(n): {
            "at_measured_wall_s": round(last["fixed_wall_s"] + n * last["marginal_wall_ms_per_article"] / 1000),
            "cpu_s": round(last["fixed_cpu_s"] + n * last["marginal_cpu_ms_per_article"] / 1000),
        }
        for n in (10_000, 50_000)
    }
    print(
        f"full pass projected linearly from N={last['n']} (fixed + N x marginal): "
        + "; ".join(
            f"N={n}: {p['at_measured_wall_s']} s at this run's wall rate, {p['cpu_s']} CPU s"
            for n, p in projection.items()
        )
    )
    report = {
        "started": started.isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "load_average_end": round(os.getloadavg()[0], 1),
        "profile": args.profile,
        "seed": args.seed,
        "settings": LOOPBACK,
        "bytecode": args.bytecode,
        "scenarios": scenarios,
        "extract_many": extraction,
        "projected_full_pass": projection,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
