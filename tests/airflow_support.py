"""Fixtures and helpers for the Airflow tests: a migrated metadata DB, a local news site, a temporary lake.

``dag.test()`` runs in a child process: Airflow reads its configuration (AIRFLOW_HOME, the metadata DB,
the dags folder) once, when first imported, so a pytest process in which anything imported Airflow
earlier cannot be repointed. A child gets exactly the environment the test builds.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psutil
import pytest

from pipeline.airflow.standalone import PASSWORD_FILE, airflow_env

ROOT = Path(__file__).resolve().parents[1]
DAGS = ROOT / "dags"
SITE = Path(__file__).parent / "data" / "airflow"
AIRFLOW = str(Path(sys.executable).parent / "airflow")
RESULT_MARK = "DAG-TEST-RESULT "
CEILING = 600.0  # seconds any wait here polls for its condition: generous, so a busy machine is slow, not failing
T = TypeVar("T")

# Runs in the child: parse the dags folder, run one DAG with dag.test(), print its outcome as one JSON line.
_DAG_TEST = f"""
import json, sys
from airflow.models import DagBag

dag_folder, dag_id, conf = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
bag = DagBag(dag_folder=dag_folder)
if bag.import_errors:
    sys.exit(f"import errors: {{bag.import_errors}}")
run = bag.dags[dag_id].test(run_conf=conf)
tasks = {{ti.task_id: {{"state": str(ti.state), "tries": ti.try_number}} for ti in run.get_task_instances()}}
print({RESULT_MARK!r} + json.dumps({{"state": str(run.state), "run_id": run.run_id, "tasks": tasks}}))
"""


@dataclass(frozen=True)
class DagTestResult:
    """What one ``dag.test()`` run ended as: the run's state and id, each task's state and tries, its log."""

    state: str
    run_id: str
    tasks: dict[str, dict[str, Any]]
    output: str

    def task_state(self, task_id: str) -> str:
        """The final state of one task."""
        return str(self.tasks[task_id]["state"])


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without AIRFLOW*/NEWSFIGURES_* settings, plus ``extra``."""
    own = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "NEWSFIGURES_"))}
    return {**own, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", **extra}


def run_dag_test(
    dag_id: str, env: Mapping[str, str], conf: Mapping[str, Any] | None = None, timeout: float = CEILING
) -> DagTestResult:
    """Run ``dag.test()`` for ``dag_id`` in a child process with ``env``; return how it ended."""
    done = subprocess.run(
        [sys.executable, "-c", _DAG_TEST, str(DAGS), dag_id, json.dumps(dict(conf or {}))],
        env=dict(env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if done.returncode != 0 or not lines:
        pytest.fail(f"dag.test() of {dag_id} did not finish (exit {done.returncode}):\n{output[-6000:]}")
    result = json.loads(lines[-1].removeprefix(RESULT_MARK))
    return DagTestResult(result["state"], result["run_id"], result["tasks"], output)


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a throwaway Airflow whose metadata DB is migrated once per session (about 5 s)."""
    home = tmp_path_factory.mktemp("airflow-home")
    env = child_env(airflow_env(home, free_port(), dags_folder=DAGS))
    migrated = subprocess.run(
        [AIRFLOW, "db", "migrate"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=CEILING
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    return env


@pytest.fixture(scope="session")
def news_site() -> Iterator[str]:
    """A local news site (tests/data/airflow): feeds ``wire`` (sound figures), ``tabloid`` (implausible)."""
    from pipeline.demo.server import serve

    with serve(SITE) as base:
        yield base


@pytest.fixture
def lake_env(tmp_path: Path, news_site: str) -> dict[str, str]:
    """NEWSFIGURES_* variables for an empty lake under ``tmp_path``, with a feeds file for the site."""
    return lake_vars(tmp_path, {"wire": f"{news_site}/wire/rss.xml", "tabloid": f"{news_site}/tabloid/rss.xml"})


def lake_vars(root: Path, feeds: Mapping[str, str]) -> dict[str, str]:
    """NEWSFIGURES_* variables for an empty lake under ``root``, with a feeds file listing ``feeds`` (name: url)."""
    feeds_file = root / "feeds.toml"
    feeds_file.write_text(
        "\n".join(f'[[feeds]]\nname = "{name}"\nurl = "{url}"\ntopic = "defection"\n' for name, url in feeds.items()),
        encoding="utf-8",
    )
    (root / "lake" / "data").mkdir(parents=True)
    return {
        "NEWSFIGURES_FEEDS_FILE": str(feeds_file),
        "NEWSFIGURES_CATALOG": f"sqlite:{root / 'lake' / 'catalog.sqlite'}",
        "NEWSFIGURES_DATA_PATH": f"{root / 'lake' / 'data'}/",
        "NEWSFIGURES_ARCHIVE_DIR": str(root / "lake" / "archive"),
        "NEWSFIGURES_ALLOW_PRIVATE_ADDRESSES": "true",  # the local test servers are on loopback
        "NEWSFIGURES_HOST_DELAY": "0",
    }


def query(lake: Mapping[str, str], sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` run read-only against the lake that ``lake`` (NEWSFIGURES_* variables) points at."""
    from pipeline import warehouse
    from pipeline.settings import Settings

    settings = Settings.from_env(dict(lake))
    with warehouse.connect(settings, read_only=True) as con:
        return [tuple(row) for row in con.execute(sql).fetchall()]


@dataclass(frozen=True)
class AirflowApi:
    """A logged-in client of a running Airflow's REST API."""

    base: str
    token: str

    @classmethod
    def wait_until_up(
        cls, base: str, home: Path, process: subprocess.Popen[bytes], timeout: float = CEILING
    ) -> AirflowApi:
        """Wait for the API to be healthy (failing if ``process`` dies), then log in as admin."""
        deadline = time.monotonic() + timeout
        while not _healthy(base):
            if process.poll() is not None:
                pytest.fail(f"the Airflow launcher exited with {process.returncode} before the API came up")
            if time.monotonic() > deadline:
                pytest.fail(f"Airflow API not healthy after {timeout:.0f} s")
            time.sleep(1)
        password = json.loads((home / PASSWORD_FILE).read_text(encoding="utf-8"))["admin"]
        reply = httpx.post(f"{base}/auth/token", json={"username": "admin", "password": password}, trust_env=False)
        reply.raise_for_status()
        return cls(base, reply.json()["access_token"])

    def get(self, path: str) -> Any:
        """GET ``path``; the decoded JSON."""
        return self._call("GET", path, None)

    def get_unless_server_error(self, path: str) -> Any:
        """GET ``path``; the decoded JSON, or None when the server answers 5xx."""
        reply = self._send("GET", path, None)
        if reply.is_server_error:
            return None
        assert reply.is_success, f"GET {path}: {reply.status_code} {reply.text[:500]}"
        return reply.json()

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST ``body`` to ``path``; the decoded JSON."""
        return self._call("POST", path, body)

    def patch(self, path: str, body: Mapping[str, Any]) -> Any:
        """PATCH ``path`` with ``body``; the decoded JSON."""
        return self._call("PATCH", path, body)

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = CEILING) -> str:
        """Poll a DAG run until it leaves queued/running; its final state."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = str(self.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"])
            if state not in ("queued", "running"):
                return state
            time.sleep(2)
        pytest.fail(f"{dag_id} run {run_id} still {state} after {timeout:.0f} s")

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None) -> Any:
        reply = self._send(method, path, body)
        assert reply.is_success, f"{method} {path}: {reply.status_code} {reply.text[:500]}"
        return reply.json()

    def _send(self, method: str, path: str, body: Mapping[str, Any] | None) -> httpx.Response:
        return httpx.request(
            method,
            self.base + path,
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
            trust_env=False,
        )


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/v2/monitor/health", timeout=2, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


def interrupt_and_reap(process: subprocess.Popen[bytes], timeout: float = CEILING) -> list[str]:
    """Send ``process`` a Ctrl-C and wait; return the command lines of its descendants still alive (then killed)."""
    if process.poll() is not None:
        return []
    descendants = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        descendants.append(psutil.Process(process.pid))
    # Components killed a moment ago may still be exiting (no command line yet gone): give them a few seconds.
    deadline = time.monotonic() + 60
    while any(_runs("", proc) for proc in descendants) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = []
    for proc in descendants:
        try:
            if _runs("", proc):
                left.append(" ".join(proc.cmdline()))
                proc.kill()  # don't leak an Airflow into the rest of the session
        except psutil.NoSuchProcess:
            pass
    return left


# --- A real airflow standalone serving a local feed that tests add entries to (e2e tests, benchmarks/latency.py) ---

ARTICLE_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title} | Test Wire</title>
  <meta property="og:site_name" content="Test Wire">
  <meta name="author" content="Kim Min-seo">
  <meta property="article:published_time" content="{published}">
</head>
<body>
  <main>
    <article>
      <h1>{title}</h1>
      <p>A total of {count} North Korean defectors arrived in South Korea in {year}, the Unification Ministry in
      Seoul said on Tuesday in its annual briefing on resettlement.</p>
      <p>Officials said most of the new arrivals had spent years in third countries before they could travel on to
      the South, and that resettlement centres would keep their expanded staff through the coming year.</p>
      <p>Researchers who interview new arrivals cautioned that annual counts lag behind events in the North, since
      many people left the country long before they reached Seoul.</p>
    </article>
  </main>
</body>
</html>
"""
FEED_ITEM = """    <item>
      <title>{title}</title>
      <link>{{{{BASE}}}}/{feed}/{slug}.html</link>
      <guid isPermaLink="false">{feed}-{slug}</guid>
      <pubDate>{pub_date}</pubDate>
    </item>
"""
_REQUEST = re.compile(r'"GET (\S+) [^"]*" (\d{3})')


class RequestLog(logging.Handler):
    """Records (time, path, status) of every request the demo site server answers."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.requests: list[tuple[float, str, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        match = _REQUEST.search(record.getMessage())
        if match:
            self.requests.append((time.time(), match.group(1), int(match.group(2))))


@dataclass(frozen=True)
class LocalFeed:
    """A copy of the test wire site, served locally: tests publish articles to it and see who polled it."""

    root: Path
    base: str
    requests: RequestLog
    name: str = "wire"

    @property
    def url(self) -> str:
        """The feed's URL."""
        return f"{self.base}/{self.name}/rss.xml"

    def add_entry(self, slug: str, count: int, year: int) -> str:
        """Publish a page saying ``count`` defectors arrived in ``year``, then list it first in the feed; its URL."""
        now = time.time()
        title = f"{count} defectors reached the South in {year}"
        page = ARTICLE_PAGE.format(title=title, count=count, year=year, published=_iso(now))
        _write_atomically(self.root / self.name / f"{slug}.html", page)
        feed = self.root / self.name / "rss.xml"
        item = FEED_ITEM.format(title=title, feed=self.name, slug=slug, pub_date=email.utils.formatdate(now))
        # Newest first, as real feeds list them; the page exists before the feed names it.
        _write_atomically(feed, feed.read_text(encoding="utf-8").replace("    <item>", item + "    <item>", 1))
        return f"{self.base}/{self.name}/{slug}.html"

    def polls_since(self, since: float) -> list[int]:
        """The HTTP statuses the feed was served with since ``since`` (epoch seconds)."""
        path = f"/{self.name}/rss.xml"
        return [status for at, p, status in list(self.requests.requests) if p == path and at >= since]


@contextmanager
def local_feed(root: Path) -> Iterator[LocalFeed]:
    """Serve a copy of the test wire site from ``root`` while the block runs."""
    from pipeline.demo.server import serve

    shutil.copytree(SITE / "wire", root / "wire")
    logger = logging.getLogger("pipeline.demo.server")
    handler, level = RequestLog(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        with serve(root) as base:
            yield LocalFeed(root, base, handler)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def wait_for(what: str, check: Callable[[], T | None], timeout: float, every: float = 1.0) -> T:
    """Call ``check`` until it returns something true; return that (fail saying ``what`` after ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout:.0f} s: {what}")
        time.sleep(every)


@dataclass(frozen=True)
class Standalone:
    """A running ``python -m pipeline.airflow.standalone`` in a temporary AIRFLOW_HOME, and its API."""

    home: Path
    api: AirflowApi
    launcher: subprocess.Popen[bytes]
    log: Path
    beside: list[subprocess.Popen[bytes]]  # processes a test started next to it (a replacement triggerer)

    def log_tail(self, chars: int = 4000) -> str:
        """The end of what standalone and its components printed."""
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]

    def triggerer(self) -> psutil.Process:
        """The triggerer that standalone started (not its trigger-runner child)."""
        procs = psutil.Process(self.launcher.pid).children(recursive=True)
        found = [p for p in procs if _runs("triggerer", p) and not _runs("triggerer", p.parent())]
        assert len(found) == 1, f"expected one triggerer among {[' '.join(p.cmdline()) for p in procs]}"
        return found[0]

    def restart_triggerer(self) -> subprocess.Popen[bytes]:
        """Stop the triggerer as a deploy does (SIGTERM, wait) and start ``airflow triggerer`` with its environment."""
        old = self.triggerer()
        env = old.environ()
        tree = [old, *old.children(recursive=True)]
        old.terminate()
        # Standalone never reaps its components: a stopped triggerer stays a zombie until standalone exits.
        wait_for("the triggerer stops on SIGTERM", lambda: not any(_runs("", p) for p in tree), 60, every=0.5)
        out = (self.home / "triggerer-restarted.log").open("ab")
        new = subprocess.Popen([AIRFLOW, "triggerer"], env=env, cwd=ROOT, stdout=out, stderr=out, process_group=0)
        self.beside.append(new)
        return new


@contextmanager
def standalone(root: Path, extra_env: Mapping[str, str], boot_timeout: float = CEILING) -> Iterator[Standalone]:
    """Run the project's Airflow in ``root``/airflow on free ports with ``extra_env``; stop all of it on exit."""
    from pipeline.airflow.standalone import stop

    port, home, log = free_port(), root / "airflow", root / "standalone.log"
    env = child_env(
        {
            **extra_env,
            "AIRFLOW_PORT": str(port),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        }
    )
    with log.open("wb") as out:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "pipeline.airflow.standalone", "--home", str(home)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    beside: list[subprocess.Popen[bytes]] = []
    try:
        api = AirflowApi.wait_until_up(f"http://127.0.0.1:{port}", home, launcher, timeout=boot_timeout)
        yield Standalone(home, api, launcher, log, beside)
    finally:
        for process in beside:
            stop(process)
        left = interrupt_and_reap(launcher)
    assert left == [], f"still running after Ctrl-C: {left}"


def _runs(command: str, proc: psutil.Process | None) -> bool:
    """Whether ``proc`` is alive (not a zombie) and ``command`` is one of its arguments ("": any)."""
    try:
        if proc is None or proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return not command or command in proc.cmdline()
    except psutil.Error:
        return False


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _write_atomically(path: Path, text: str) -> None:
    # The server reads files on every request: it must never see half a feed.
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def asset(api: AirflowApi, name: str) -> dict[str, Any]:
    """The asset called ``name``, as the REST API shows it (watchers, consumers, last event)."""
    found = api.get(f"/api/v2/assets?name_pattern={name}&limit=100")["assets"]
    return next((a for a in found if a["name"] == name), {})


def dag_runs(api: AirflowApi, dag_id: str) -> dict[str, str]:
    """Every run of ``dag_id`` (up to 100): run id to state."""
    runs = api.get(f"/api/v2/dags/{dag_id}/dagRuns?limit=100&order_by=-start_date")["dag_runs"]
    return {r["dag_run_id"]: r["state"] for r in runs}


def watcher_events(api: AirflowApi, asset_id: int) -> list[dict[str, Any]]:
    """The asset's events that a watcher's trigger emitted, newest first (up to 100)."""
    path = f"/api/v2/assets/events?asset_id={asset_id}&limit=100&order_by=-timestamp"
    # Airflow 3.3.2 answers 500 while a run an event created is still queued (apache/airflow#71360): ask again.
    events = wait_for(f"GET {path} answers", lambda: api.get_unless_server_error(path), 60, every=0.5)["asset_events"]
    return [e for e in events if (e.get("extra") or {}).get("from_trigger")]


def settle(api: AirflowApi, dag_ids: tuple[str, ...], quiet: float, timeout: float = CEILING) -> None:
    """Wait until the first DAG has run and no run of any of ``dag_ids`` is queued or running for ``quiet`` s."""
    calm_since: float | None = None

    def calm() -> bool:
        nonlocal calm_since
        states = [state for dag_id in dag_ids for state in dag_runs(api, dag_id).values()]
        busy = not dag_runs(api, dag_ids[0]) or any(s in ("queued", "running") for s in states)
        calm_since = None if busy else (calm_since or time.monotonic())
        return calm_since is not None and time.monotonic() - calm_since >= quiet

    wait_for(f"no run of {', '.join(dag_ids)} queued or running for {quiet:.0f} s", calm, timeout)
