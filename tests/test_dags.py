"""The DAGs: they parse, carry the house header, stay thin at import, and run the pipeline end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from airflow_support import (
    CEILING,
    DAGS,
    ROOT,
    airflow_home,
    lake_env,
    news_site,
    query,
    run_dag_test,
)
from conftest import Inbox, LocalServer

pytestmark = pytest.mark.slow  # a real Airflow parses and runs the DAGs

__all__ = ["airflow_home", "lake_env", "news_site"]  # fixtures, imported for pytest

WRITER_POOL = "warehouse_writer"
READ_ONLY_TASKS: set[str] = set()  # "dag_id.task_id" of tasks that never write the warehouse
# Airflow itself loads httpx; these are ours alone to load, and only inside a running task. The one module of ours a
# DAG file may load while parsing is the feed watcher's class, which the asset's AssetWatcher needs.
HEAVY_PACKAGES = ("schemas", "pandas", "pandera", "duckdb", "trafilatura", "feedparser", "courlan")
PARSE_TIME_MODULES = {"pipeline", "pipeline.airflow", "pipeline.airflow.watcher"}

# Runs in a child with the test's Airflow environment: parse the dags folder, describe every DAG as JSON.
_DESCRIBE = """
import json, sys
from airflow.models import DagBag

bag = DagBag(dag_folder=sys.argv[1])
dags = {
    dag_id: {
        "tags": sorted(dag.tags),
        "doc_md": dag.doc_md or "",
        "catchup": dag.catchup,
        "paused_at_creation": dag.is_paused_upon_creation,
        "params": {k: dag.params.get_param(k).schema for k in dag.params},
        "tasks": {
            t.task_id: {
                "owner": t.owner, "retries": t.retries, "pool": t.pool, "display": t.task_display_name,
                "timeout": t.execution_timeout.total_seconds() if t.execution_timeout else None,
            }
            for t in dag.tasks
        },
    }
    for dag_id, dag in bag.dags.items()
}
print(json.dumps({"import_errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": dags}))
"""


@pytest.fixture(scope="module")
def dags(airflow_home: dict[str, str]) -> dict[str, Any]:
    """Every DAG in dags/, as parsed by Airflow's DagBag."""
    done = subprocess.run(
        [sys.executable, "-c", _DESCRIBE, str(DAGS)],
        env=airflow_home,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CEILING,
    )
    assert done.returncode == 0, done.stderr
    parsed: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return parsed


def test_dag_folder_parses_without_import_errors(dags: dict[str, Any]) -> None:
    assert dags["import_errors"] == {}
    assert "news_ingest" in dags["dags"]


def test_every_dag_has_the_house_header(dags: dict[str, Any]) -> None:
    for dag_id, dag in dags["dags"].items():
        assert dag["tags"], f"{dag_id} has no tags"
        assert dag["doc_md"].strip(), f"{dag_id} has no doc_md"
        for heading in ("Trigger", "Produces", "When it fails"):
            assert heading in dag["doc_md"], f"{dag_id}'s doc_md does not say {heading!r}"
        assert dag["catchup"] is False, f"{dag_id} catches up"
        for task_id, task in dag["tasks"].items():
            assert task["owner"] not in ("", "airflow"), f"{dag_id}.{task_id} has no owner"
            assert task["retries"] >= 1, f"{dag_id}.{task_id} never retries"
            assert task["display"] != task_id, f"{dag_id}.{task_id} has no display name"


def test_the_daily_maintenance_runs_once_deployed_not_paused_at_creation(dags: dict[str, Any]) -> None:
    assert dags["dags"]["warehouse_maintenance"]["paused_at_creation"] is False  # paused, "daily" would never run


def test_news_reprocess_can_be_triggered_from_the_ui_with_every_param_left_empty(dags: dict[str, Any]) -> None:
    reprocess = dags["dags"]["news_reprocess"]
    assert reprocess["paused_at_creation"] is False  # paused, its Trigger would queue a run that never starts
    for name, schema in reprocess["params"].items():
        # the trigger form requires every field whose type does not allow null: Trigger stays disabled until filled
        assert "null" in schema["type"], f"news_reprocess param {name!r} is required in the trigger form"


def test_every_task_that_writes_the_warehouse_uses_the_writer_pool(dags: dict[str, Any]) -> None:
    for dag_id, dag in dags["dags"].items():
        for task_id, task in dag["tasks"].items():
            if f"{dag_id}.{task_id}" not in READ_ONLY_TASKS:
                assert task["pool"] == WRITER_POOL, f"{dag_id}.{task_id} writes outside {WRITER_POOL}"


def test_every_task_that_writes_the_warehouse_has_a_deadline(dags: dict[str, Any]) -> None:
    for dag_id, dag in dags["dags"].items():
        for task_id, task in dag["tasks"].items():
            if f"{dag_id}.{task_id}" not in READ_ONLY_TASKS:
                # a wedged writer holds the 1-slot pool: every other DAG waits behind it until its deadline
                assert task["timeout"], f"{dag_id}.{task_id} has no execution_timeout"


@pytest.mark.parametrize("dag_file", sorted(p.name for p in DAGS.glob("*.py")))
def test_importing_a_dag_file_loads_no_pipeline_code(dag_file: str, airflow_home: dict[str, str]) -> None:
    # The scheduler and dag-processor import DAG files over and over: they must not pay for pandas or DuckDB.
    code = (
        "import runpy, sys, json; runpy.run_path(sys.argv[1]); "
        f"heavy = {{m.split('.')[0] for m in sys.modules}} & set({HEAVY_PACKAGES!r}); "
        f"ours = {{m for m in sys.modules if m.startswith('pipeline')}} - {PARSE_TIME_MODULES!r}; "
        "print(json.dumps(sorted(heavy | ours)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(DAGS / dag_file)],
        env=airflow_home,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CEILING,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_news_ingest_loads_articles_and_figures_from_the_chosen_feeds(
    airflow_home: dict[str, str], lake_env: dict[str, str]
) -> None:
    result = run_dag_test("news_ingest", {**airflow_home, **lake_env}, conf={"feeds": ["wire"]})

    assert result.state == "success", result.output[-6000:]
    articles = query(lake_env, "SELECT url FROM articles WHERE status = 'ok' ORDER BY url")
    assert [url.rsplit("/", 1)[-1] for (url,) in articles] == ["arrivals-2023.html", "total-2024.html"]
    figures = query(lake_env, "SELECT kind, value, year, article_url FROM figures")
    assert ("count", 196.0, 2023) in {(kind, value, year) for kind, value, year, _ in figures}
    assert all("/wire/" in url for *_, url in figures), "a feed that was not chosen was read"
    [(status, counts)] = query(lake_env, f"SELECT status, counts FROM runs WHERE run_id = '{result.run_id}'")
    assert status == "success"
    assert json.loads(counts)["find_figures"]["figures"] == len(figures)


def test_news_ingest_fails_at_once_on_quarantined_figures_keeps_the_good_ones_and_alerts_once(
    airflow_home: dict[str, str], lake_env: dict[str, str], inbox: tuple[Inbox, int], server: LocalServer
) -> None:
    mail, smtp_port = inbox
    webhook = server.route("/alerts", body=b"ok")
    alerting = {
        "NEWSFIGURES_ALERT_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "NEWSFIGURES_ALERT_EMAIL_TO": "oncall@example.org",
        "NEWSFIGURES_ALERT_WEBHOOK_URL": webhook,
        "NEWSFIGURES_QUARANTINE_THRESHOLD": "0",  # any quarantined row fails the task (default: above 20%)
    }
    result = run_dag_test("news_ingest", {**airflow_home, **lake_env, **alerting}, conf={"feeds": []})

    assert result.state == "failed"
    assert result.task_state("find_figures") == "failed"
    assert result.tasks["find_figures"]["tries"] == 1, "a schema failure was retried"
    assert result.task_state("finish_run") == "success"
    bad = query(lake_env, "SELECT article_url, bad_value FROM quarantine WHERE table_name = 'figures'")
    assert any(url.endswith("/tabloid/exodus.html") for url, _ in bad)
    [(loaded,)] = query(lake_env, "SELECT count(*) FROM figures WHERE article_url LIKE '%/wire/%'")
    assert loaded > 0
    [(status,)] = query(lake_env, f"SELECT status FROM runs WHERE run_id = '{result.run_id}'")
    assert status == "failed"
    [message] = mail.messages
    assert f"DAG news_ingest, run {result.run_id}, task find_figures" in message.get_content()
    assert "/tabloid/exodus.html" in message.get_content()
    [posted] = server.seen("/alerts")
    payload = json.loads(posted.body)
    assert payload["task_failed"] is True and payload["failed"] == len(bad)
    assert payload["log_url"].endswith("/tasks/find_figures?try_number=1")


def test_news_ingest_fails_at_once_on_a_broken_feeds_file(
    airflow_home: dict[str, str], lake_env: dict[str, str]
) -> None:
    feeds_file = lake_env["NEWSFIGURES_FEEDS_FILE"]
    with open(feeds_file, "a", encoding="utf-8") as f:
        f.write('[[feeds]]\nname = "no-url"\ntopic = "defection"\n')

    result = run_dag_test("news_ingest", {**airflow_home, **lake_env})

    assert result.state == "failed"
    assert result.task_state("start_run") == "failed"
    assert result.tasks["start_run"]["tries"] == 1, "a configuration error was retried"
    assert "feed #3 lacks url" in result.output
