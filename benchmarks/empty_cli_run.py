"""Benchmark: where the seconds of an empty ``newsfigures run`` (nothing new on any feed) go.

Run from the project root: ``.venv/bin/python benchmarks/empty_cli_run.py [--articles 100] [--repeat 3]``. Serves the
synthetic site of ``benchmarks/scaling.py`` (10 outlets) on loopback, loads it once with a full run on a fresh lake,
then, with nothing new:

1. times ``--repeat`` empty runs (``newsfigures -v run`` as a child process: wall, CPU of the child, stage seconds
   from its log lines) and one under ``python -X importtime`` (the seconds spent importing, the slowest packages),
   first with this environment's bytecode setting (``as-is``: this container sets PYTHONDONTWRITEBYTECODE=1, so
   every run compiles every module it imports), then with a bytecode cache (``cached``, as a deployed install);
2. one run under cProfile (pyinstrument is not a dependency), cached: the seconds of the calls a pass is made of
   (imports, DuckDB's own time, ``warehouse.connect``, ``migrate`` and its reference MERGE, backlog queries,
   validation and merges, the run record). cProfile does not follow the stages' ``asyncio.run``: per-stage seconds
   come from the log lines.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import newssite
from scaling import ROOT, child_env, lake_env, recorded, run_pass, warm_bytecode

PROFILED = [  # (label, file suffix, function name) in pstats' terms; cumulative seconds, or own ("tottime") for C
    ("all imports (incl. lazy ones in functions)", "<frozen importlib._bootstrap>", "_find_and_load"),
    ("  of it: compiling source (no .pyc)", "~", "<built-in method builtins.compile>"),
    ("DuckDB: time inside _duckdb.execute (all SQL)", "~", "<built-in method _duckdb.execute>"),
    ("warehouse.connect x7 (extension LOAD, ATTACH)", "pipeline/warehouse/__init__.py", "connect"),
    ("warehouse.migrate (migrations, views, reference)", "pipeline/warehouse/__init__.py", "migrate"),
    ("  of it: load_reference (reference MERGE)", "pipeline/warehouse/__init__.py", "load_reference"),
    ("runs.start (connect, migrate, stale runs, run row)", "pipeline/warehouse/runs.py", "start"),
    ("backlog.rows (every backlog query)", "pipeline/warehouse/backlog.py", "rows"),
    ("checks.load.load (validate + merge, 4 tables)", "pipeline/checks/load.py", "load"),
    ("  of it: checks.validate.validate (pandera)", "pipeline/checks/validate.py", "validate"),
    ("transaction commits", "pipeline/warehouse/__init__.py", "_commit"),
    ("runs.finish", "pipeline/warehouse/runs.py", "finish"),
    ("cli: _poll_errors (read-only connect, query)", "pipeline/cli.py", "_poll_errors"),
]
PROFILE = "import cProfile, sys; from pipeline.cli import main; cProfile.run('main([\"run\"], standalone_mode=False)', sys.argv[1])"  # noqa: E501
IMPORTTIME = "from pipeline.cli import main; main(['run'], standalone_mode=False)"


def importtime(env: dict[str, str], log: Path) -> dict[str, Any]:
    """Seconds of imports in an empty run (``-X importtime``: the sum of top-level cumulative times), and the top 8."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", IMPORTTIME],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    log.write_text(done.stderr, encoding="utf-8")
    top: list[tuple[float, str]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        if not name.startswith("  "):  # a top-level import: one space, no indentation
            top.append((int(cumulative) / 1e6, name.strip()))
    top.sort(reverse=True)
    return {"import_s": round(sum(s for s, _ in top), 2), "top": [(name, round(s, 2)) for s, name in top[:8]]}


def profile(env: dict[str, str], out: Path) -> dict[str, Any]:
    """Cumulative seconds of the calls in ``PROFILED`` in one empty run under cProfile, and the run's total."""
    subprocess.run([sys.executable, "-c", PROFILE, str(out)], env=env, cwd=ROOT, capture_output=True, check=True)
    stats: Any = pstats.Stats(str(out)).stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
    found: dict[str, float] = {}
    for label, suffix, name in PROFILED:
        own = suffix == "~"  # a C function: its own time is the time spent in it
        found[label] = round(
            sum(v[2 if own else 3] for (f, _, n), v in stats.items() if n == name and f.endswith(suffix)), 2
        )
    total = pstats.Stats(str(out)).total_tt  # type: ignore[attr-defined]
    return {"profiled_total_s": round(total, 2), "cumulative_s": found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=100, help="articles on the site (loaded by the first run)")
    parser.add_argument("--repeat", type=int, default=3, help="empty runs timed")
    parser.add_argument("--out", type=Path, help="write the measurements as JSON here too")
    parser.add_argument("--keep", type=Path, help="keep the lake, logs and profile in a folder under this one")
    args = parser.parse_args()
    with ExitStack() as stack:
        if args.keep is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="empty-cli-")))
        else:
            root = Path(tempfile.mkdtemp(prefix="empty-cli-", dir=args.keep))
        site = stack.enter_context(newssite.serve(newssite.Site(1, args.articles)))
        lake = lake_env("embedded", root, args.articles, Path())
        env = child_env(lake, "cached")
        warm_bytecode(env)
        (root / "feeds.toml").write_text(
            "".join(
                f'[[feeds]]\nname = "{k}"\nurl = "{u}"\ntopic = "defection"\n\n' for k, u in site.feed_urls().items()
            ),
            encoding="utf-8",
        )
        full = run_pass(env, root / "full.log")
        print(f"full run of {args.articles} articles: {full['wall_s']} s wall, {full['cpu_s']} CPU s", flush=True)
        found: dict[str, Any] = {}
        for mode in ("as-is", "cached"):
            env = child_env(lake, mode)
            if mode == "cached":
                warm_bytecode(env)
            empties = [run_pass(env, root / f"empty-{mode}-{i}.log") for i in range(args.repeat)]
            assert recorded(env)["counts"]["extract_articles"]["articles"] == 0, "the run was not empty"
            for e in empties:
                print(
                    f"empty run, bytecode {mode}: {e['wall_s']} s wall, {e['cpu_s']} CPU s ({e['user_s']} user, "
                    f"{e['sys_s']} sys), {e['max_rss_mb']} MB; stage seconds {e['stage_s']}",
                    flush=True,
                )
            imports = importtime(env, root / f"importtime-{mode}.log")
            print(f"  -X importtime: {imports['import_s']} s of imports; slowest: {imports['top']}", flush=True)
            found[mode] = {"runs": empties, "imports": imports}
        profiled = profile(env, root / "empty.prof")
        print(f"cProfile of one empty run, bytecode cached ({profiled['profiled_total_s']} s under the profiler):")
        for label, seconds in profiled["cumulative_s"].items():
            print(f"  {label:52} {seconds:6.2f}")
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        if args.keep:
            print(f"kept in {root} (the profile: python -m pstats {root / 'empty.prof'})")
        if args.out:
            args.out.write_text(json.dumps({**found, "profile": profiled}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
