"""The bodies of the DAGs' tasks: settings read at run time, one call into the pipeline, Airflow's error mapping.

DAG files import this inside their tasks, never at parse time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from airflow.sdk import Asset
from airflow.sdk.exceptions import AirflowFailException

from pipeline import STAGE, STAGES, flow
from pipeline.airflow import alerting
from pipeline.checks import policy
from pipeline.errors import ConfigError, SchemaFailure
from pipeline.settings import Settings
from pipeline.warehouse import runs


@contextmanager
def failing_fast() -> Iterator[None]:
    """Retrying cannot fix bad rows or bad configuration: fail the task at once, without retries."""
    try:
        yield
    except (SchemaFailure, ConfigError) as exc:
        raise AirflowFailException(str(exc)) from None  # the message says it all: no chained traceback


def start(context: Mapping[str, Any]) -> str:
    """Record the pipeline run under Airflow's run id, so on-call can go from the UI to `runs` and `quarantine`."""
    with failing_fast():
        return flow.start_run(Settings.from_env(), trigger="airflow", run_id=context["run_id"])


def feeds_to_poll(context: Mapping[str, Any]) -> list[str] | None:
    """Feeds named by hand (params) and by every watcher event that triggered the run; None means all feeds."""
    chosen = set(context["params"].get("feeds") or [])
    for events in (context.get("triggering_asset_events") or {}).values():
        for event in events:
            chosen.update((event.extra or {}).get("payload", {}).get("feeds", []))
    return sorted(chosen) or None


def stage(name: str, run_id: str, context: Mapping[str, Any]) -> dict[str, int]:
    """Run one stage of news_ingest under the post-stage policy; report its counts on its asset, if it has one."""
    settings = Settings.from_env()
    params = {"feeds": feeds_to_poll(context)} if name == "poll_feeds" else {}
    with failing_fast():
        counts = flow.run_stage(name, settings, run_id, origin=_origin(settings, context), **params)
    if asset := STAGE[name].asset:
        context["outlet_events"][Asset(asset)].extra = {"run_id": run_id, **counts}
    return counts


def _origin(settings: Settings, context: Mapping[str, Any]) -> policy.Origin:
    """This task as the alert names it, with the Airflow connections' channels (asked for only to send)."""
    ti = context["ti"]
    return policy.Origin(ti.dag_id, ti.task_id, lambda: alerting.channels(settings), getattr(ti, "log_url", None))


def finish(run_id: str, context: Mapping[str, Any]) -> str:
    """Record the run's outcome: a stage that failed left no counts behind."""
    pulled = {s.name: context["ti"].xcom_pull(task_ids=s.name) for s in STAGES}
    counts = {name: value for name, value in pulled.items() if value is not None}
    missing = [s.name for s in STAGES if s.name not in counts]
    reason = f"failed or not run: {', '.join(missing)} (see their task logs)" if missing else None
    with failing_fast():
        runs.finish(
            Settings.from_env(), run_id, status="failed" if missing else "success", counts=counts, reason=reason
        )
    status = "failed" if missing else "success"
    return status


def reprocess(context: Mapping[str, Any]) -> dict[str, int]:
    """Extract articles again from the raw archive (params since, topic), then read their figures."""
    params = context["params"]
    since = (
        datetime.fromisoformat(params["since"]).replace(tzinfo=UTC)
        if params.get("since")
        else datetime.min.replace(tzinfo=UTC)
    )
    settings = Settings.from_env()
    run_id = flow.start_run(settings, trigger="reprocess", run_id=context["run_id"])
    counts: dict[str, dict[str, int]] = {}
    reason: str | None = "interrupted"
    try:
        with failing_fast():
            origin = _origin(settings, context)
            topic = params.get("topic") or None
            counts["reprocess"] = flow.run_stage("reprocess", settings, run_id, origin=origin, since=since, topic=topic)
            counts["find_figures"] = flow.run_stage("find_figures", settings, run_id, origin=origin)
        reason = None
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        runs.finish(settings, run_id, status="failed" if reason else "success", counts=counts, reason=reason)
    return {"articles": counts["reprocess"]["articles"], "figures": counts["find_figures"]["figures"]}


def assess_quality(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Summarise the figures of every ingest run that triggered this one (or the latest run, by hand)."""
    from pipeline.checks import quality

    settings = Settings.from_env()
    runs = [
        str(event.extra["run_id"])
        for events in (context.get("triggering_asset_events") or {}).values()
        for event in events
        if (event.extra or {}).get("run_id")
    ]
    if not runs:
        latest = quality.latest_run(settings)
        runs = [latest] if latest else []
    summaries = quality.assess(settings, runs, assessed_by=context["run_id"], at=datetime.now(UTC))
    return [{k: v for k, v in s.items() if k not in ("assessed_at", "disagreeing")} for s in summaries]


def maintain() -> dict[str, int]:
    """Compact the lake and expire old snapshots."""
    from pipeline.warehouse import maintenance

    return maintenance.maintain(Settings.from_env(), now=datetime.now(UTC))
