"""Fixtures and helpers for the Airflow tests: a migrated metadata DB, a local news site, a temporary lake.

``dag.test()`` runs in a child process: Airflow reads its configuration (AIRFLOW_HOME, the metadata DB,
the dags folder) once, when first imported, so a pytest process in which anything imported Airflow
earlier cannot be repointed. A child gets exactly the environment the test builds.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from pipeline.airflow.standalone import PASSWORD_FILE, airflow_env

ROOT = Path(__file__).resolve().parents[1]
DAGS = ROOT / "dags"
SITE = Path(__file__).parent / "data" / "airflow"
AIRFLOW = str(Path(sys.executable).parent / "airflow")
RESULT_MARK = "DAG-TEST-RESULT "

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
    dag_id: str, env: Mapping[str, str], conf: Mapping[str, Any] | None = None, timeout: float = 300
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
        [AIRFLOW, "db", "migrate"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
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
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(
        f'[[feeds]]\nname = "wire"\nurl = "{news_site}/wire/rss.xml"\ntopic = "defection"\n\n'
        f'[[feeds]]\nname = "tabloid"\nurl = "{news_site}/tabloid/rss.xml"\ntopic = "defection"\n',
        encoding="utf-8",
    )
    (tmp_path / "lake" / "data").mkdir(parents=True)
    return {
        "NEWSFIGURES_FEEDS_FILE": str(feeds),
        "NEWSFIGURES_CATALOG": f"sqlite:{tmp_path / 'lake' / 'catalog.sqlite'}",
        "NEWSFIGURES_DATA_PATH": f"{tmp_path / 'lake' / 'data'}/",
        "NEWSFIGURES_ARCHIVE_DIR": str(tmp_path / "lake" / "archive"),
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
    def wait_until_up(cls, base: str, home: Path, process: subprocess.Popen[bytes], timeout: float = 180) -> AirflowApi:
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

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST ``body`` to ``path``; the decoded JSON."""
        return self._call("POST", path, body)

    def patch(self, path: str, body: Mapping[str, Any]) -> Any:
        """PATCH ``path`` with ``body``; the decoded JSON."""
        return self._call("PATCH", path, body)

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 180) -> str:
        """Poll a DAG run until it leaves queued/running; its final state."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = str(self.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"])
            if state not in ("queued", "running"):
                return state
            time.sleep(2)
        pytest.fail(f"{dag_id} run {run_id} still {state} after {timeout:.0f} s")

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None) -> Any:
        reply = httpx.request(
            method,
            self.base + path,
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
            trust_env=False,
        )
        assert reply.is_success, f"{method} {path}: {reply.status_code} {reply.text[:500]}"
        return reply.json()


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/v2/monitor/health", timeout=2, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


def interrupt_and_reap(process: subprocess.Popen[bytes], timeout: float = 90) -> list[str]:
    """Send ``process`` a Ctrl-C and wait; return the command lines of its descendants still alive (then killed)."""
    if process.poll() is not None:
        return []
    descendants = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        descendants.append(psutil.Process(process.pid))
    left = []
    for proc in descendants:
        try:
            if proc.status() != psutil.STATUS_ZOMBIE:
                left.append(" ".join(proc.cmdline()))
                proc.kill()  # don't leak an Airflow into the rest of the session
        except psutil.NoSuchProcess:
            pass
    return left
