"""Schema-failure alerts delivered to real receivers: an aiosmtpd SMTP server and a local webhook endpoint."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from conftest import Inbox, LocalServer

from pipeline import warehouse
from pipeline.checks import alerts
from pipeline.errors import ConfigError
from pipeline.settings import Settings

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(catalog=f"sqlite:{tmp_path}/c.sqlite", data_path=f"{tmp_path}/data/", feeds=())
    with warehouse.connect(s) as con:
        warehouse.migrate(con)
    return s


def failing_run(
    settings: Settings, run_id: str, started: datetime, checks: tuple[str, ...] = ("span_in_text",)
) -> None:
    """A run whose figures stage quarantined one row per check."""
    run = {"run_id": run_id, "started_at": started, "finished_at": started, "trigger": "airflow", "status": "success",
           "extractor_version": "v", "counts": "{}"}  # fmt: skip
    held = [
        {
            "run_id": run_id,
            "table_name": "figures",
            "row_key": f"https://news.example/{run_id}#10-13:count",
            "check_name": check,
            "column_name": "span_text",
            "bad_value": "999",
            "reason": "quoted span is not the article text at its offsets",
            "article_url": f"https://news.example/{run_id}",
            "row_json": "{}",
            "quarantined_at": started,
        }
        for check in checks
    ]
    with warehouse.connect(settings) as con, warehouse.transaction(con) as tx:
        tx.merge("runs", pd.DataFrame([run]))
        tx.merge("quarantine", pd.DataFrame(held))


def alert_for(settings: Settings, run_id: str) -> alerts.Alert:
    alert = alerts.build(
        settings, run_id=run_id, table="figures", total=40, dag_id="news_ingest", task_id="find_figures",
        task_failed=False, log_url=f"http://127.0.0.1:8080/dags/news_ingest/runs/{run_id}/tasks/find_figures",
    )  # fmt: skip
    assert alert is not None
    return alert


def channels(port: int, server: LocalServer) -> alerts.Channels:
    server.route("/slack", body=b"ok")
    server.route("/hook", body=b"ok")
    return alerts.Channels(
        smtp_url=f"smtp://127.0.0.1:{port}",
        email_from="newsfigures@example.org",
        email_to=("oncall@example.org",),
        slack_webhook=server.url("/slack"),
        webhook_url=server.url("/hook"),
    )


def test_one_alert_reaches_every_receiver_with_what_on_call_needs(
    settings: Settings, inbox: tuple[Inbox, int], server: LocalServer
) -> None:
    mail, port = inbox
    failing_run(settings, "run-1", T0, checks=("span_in_text", "year_not_after_publication"))

    decision = alerts.dispatch(settings, alert_for(settings, "run-1"), channels(port, server), at=T0)

    assert decision["sent"] and decision["channels"] == "smtp,slack,webhook"
    [message] = mail.messages
    body = message.get_content()
    assert (
        message["Subject"].strip()
        == "[newsfigures] news_ingest.find_figures quarantined rows: 39 of 40 figures rows loaded, 1 quarantined"
    )
    assert message["To"] == "oncall@example.org"
    for expected in (
        "DAG news_ingest, run run-1, task find_figures",
        "span_in_text: 1 rows",
        "year_not_after_publication: 1 rows",
        "'999'",
        "https://news.example/run-1",
        "Task log: http://127.0.0.1:8080/dags/news_ingest/runs/run-1/tasks/find_figures",
        "SELECT check_name, column_name, bad_value, reason, article_url, row_json FROM quarantine "
        "WHERE run_id = 'run-1'",
    ):
        assert expected in body, expected
    [slack] = server.seen("/slack")
    assert json.loads(slack.body)["text"] == message["Subject"].strip()
    [hook] = server.seen("/hook")
    payload = json.loads(hook.body)
    assert (payload["dag_id"], payload["run_id"], payload["task_id"]) == ("news_ingest", "run-1", "find_figures")
    assert (payload["failed"], payload["total"]) == (1, 40)
    assert payload["checks"] == {"span_in_text": 1, "year_not_after_publication": 1}
    assert payload["samples"][0]["article_url"] == "https://news.example/run-1"


def test_the_same_failure_in_consecutive_runs_is_summarised_not_resent(
    settings: Settings, inbox: tuple[Inbox, int], server: LocalServer
) -> None:
    mail, port = inbox
    to = channels(port, server)
    for n in range(3):  # three consecutive runs, one hour apart, failing the same way
        failing_run(settings, f"run-{n}", T0 + timedelta(hours=n))
        alerts.dispatch(settings, alert_for(settings, f"run-{n}"), to, at=T0 + timedelta(hours=n))
    assert len(mail.messages) == 1 and len(server.seen("/hook")) == 1

    later = T0 + timedelta(hours=settings.alert_repeat_hours + 3)  # still failing a day later: one summary
    failing_run(settings, "run-late", later)
    alerts.dispatch(settings, alert_for(settings, "run-late"), to, at=later)
    assert len(mail.messages) == 2
    assert "The same failure occurred in 2 earlier run(s)" in mail.messages[1].get_content()

    failing_run(settings, "run-new", later + timedelta(hours=1), checks=("count_in_range",))  # a different failure
    alerts.dispatch(settings, alert_for(settings, "run-new"), to, at=later + timedelta(hours=1))
    assert len(mail.messages) == 3
    with warehouse.connect(settings, read_only=True) as con:
        sent = con.execute("SELECT run_id, sent FROM alerts ORDER BY decided_at").fetchall()
    assert sent == [("run-0", True), ("run-1", False), ("run-2", False), ("run-late", True), ("run-new", True)]


def test_an_unreachable_channel_is_recorded_and_the_others_still_deliver(
    settings: Settings, inbox: tuple[Inbox, int], server: LocalServer, refused_url: str
) -> None:
    mail, port = inbox
    failing_run(settings, "run-1", T0)
    to = alerts.Channels(
        smtp_url=f"smtp://127.0.0.1:{port}", email_from="a@example.org", email_to=("b@example.org",),
        webhook_url=refused_url,
    )  # fmt: skip

    decision = alerts.dispatch(settings, alert_for(settings, "run-1"), to, at=T0)

    assert decision["channels"] == "smtp" and len(mail.messages) == 1
    assert "ConnectError" in json.loads(decision["errors"])["webhook"]


def test_no_quarantined_rows_no_alert(settings: Settings) -> None:
    assert (
        alerts.build(settings, run_id="clean", table="figures", total=10, dag_id="d", task_id="t", task_failed=False)
        is None
    )


def test_a_failing_channel_keeps_its_token_and_password_out_of_logs_and_the_warehouse(
    settings: Settings, inbox: tuple[Inbox, int], server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    _, port = inbox
    failing_run(settings, "run-1", T0)
    slack = server.route("/services/T000/B000/XOXBSLACKTOKEN", status=500, body=b"invalid_token")
    hook = server.route("/hook?token=hunter2hunter2", status=500, body=b"no")
    to = alerts.Channels(
        smtp_url=f"smtp://oncall:pa%2Fss/w0rd@127.0.0.1:{port}",  # aiosmtpd offers no AUTH: login fails
        email_from="a@example.org", email_to=("b@example.org",), slack_webhook=slack, webhook_url=hook,
    )  # fmt: skip

    decision = alerts.dispatch(settings, alert_for(settings, "run-1"), to, at=T0)

    with warehouse.connect(settings, read_only=True) as con:
        (stored,) = con.execute("SELECT errors FROM alerts WHERE run_id = 'run-1'").fetchone()
    assert set(json.loads(stored)) == {"smtp", "slack", "webhook"} and decision["channels"] is None
    assert "127.0.0.1" in stored and "500" in stored  # still says which server failed, and how
    for secret in ("XOXBSLACKTOKEN", "hunter2hunter2", "pa%2Fss", "pa/ss", "w0rd"):
        assert secret not in stored and secret not in caplog.text


def test_an_smtp_url_that_cannot_be_read_does_not_quote_its_password() -> None:
    with pytest.raises(ConfigError) as raised:
        alerts.smtp_server("smtp://oncall:s3cr/et@127.0.0.1:25x")

    assert "s3cr" not in str(raised.value) and "127.0.0.1" in str(raised.value)
    assert raised.value.__context__ is None and raised.value.__cause__ is None  # nor does its traceback


def test_an_smtp_password_may_hold_a_slash() -> None:
    server = alerts.smtp_server("smtp+starttls://oncall:s3cr/et@mail.example.org:587")

    assert (server.host, server.port, server.starttls) == ("mail.example.org", 587, True)
    assert (server.user, server.password) == ("oncall", "s3cr/et") and "s3cr" not in repr(server)
