"""Schema-failure alerts: what on-call needs in one message, sent once per run, repeats summarised, not resent.

Channels: e-mail (SMTP), a Slack incoming webhook and a plain JSON webhook. ``Channels`` says where they point; the
Airflow side (``pipeline.airflow.tasks``) fills it from Airflow connections when those exist, else from settings.
"""

from __future__ import annotations

import email.policy
import json
import logging
import smtplib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pandas as pd

from pipeline import warehouse
from pipeline.checks import redact
from pipeline.errors import ConfigError
from pipeline.settings import Settings

log = logging.getLogger(__name__)

Sender = Callable[["Alert"], None]


@dataclass(frozen=True)
class Alert:
    """One run's quarantined rows for one table, as on-call reads them."""

    dag_id: str
    run_id: str
    task_id: str
    table: str
    failed: int
    total: int
    checks: dict[str, int]
    samples: list[dict[str, Any]]  # up to five: check, column, bad_value, reason, article_url
    task_failed: bool
    log_url: str | None = None
    repeats: int = 0  # earlier runs with this same failure that were not alerted
    first_seen: str | None = None

    @property
    def fingerprint(self) -> str:
        """The failure's identity across runs: the table and its failing checks."""
        return f"{self.table}:" + ",".join(sorted(self.checks))

    @property
    def inspect_sql(self) -> str:
        """The query that shows the quarantined rows."""
        return (
            "SELECT check_name, column_name, bad_value, reason, article_url, row_json FROM quarantine "
            f"WHERE run_id = '{self.run_id}' AND table_name = '{self.table}' ORDER BY check_name;"
        )

    @property
    def subject(self) -> str:
        """A one-line summary."""
        verdict = "failed" if self.task_failed else "quarantined rows"
        loaded = f"{self.total - self.failed} of {self.total} {self.table} rows loaded, {self.failed} quarantined"
        return f"[newsfigures] {self.dag_id}.{self.task_id} {verdict}: {loaded}"

    def text(self) -> str:
        """The plain-text body: what failed, samples, where to look, how to inspect."""
        lines = [
            self.subject,
            "",
            f"DAG {self.dag_id}, run {self.run_id}, task {self.task_id}.",
            f"{self.total - self.failed} of {self.total} {self.table} rows loaded; {self.failed} failed validation and"
            " are in quarantine.",
            "The task "
            + ("failed (above the quarantine threshold; not retried)." if self.task_failed else "succeeded."),
        ]
        if self.repeats:
            lines.append(
                f"The same failure occurred in {self.repeats} earlier run(s) since {self.first_seen}, not alerted."
            )
        lines += ["", "Top failing checks:"] + [f"  {name}: {n} rows" for name, n in self.top_checks()]
        lines += ["", "Sample bad values:"] + [
            f"  {s['check']} on {s['column']}: {s['bad_value']!r} ({s['reason']}) — {s['article_url']}"
            for s in self.samples
        ]
        if self.log_url:
            lines += ["", f"Task log: {self.log_url}"]
        lines += ["", "Inspect the quarantine (make sql):", f"  {self.inspect_sql}"]
        return "\n".join(lines)

    def top_checks(self) -> list[tuple[str, int]]:
        """Failing checks, most rows first."""
        return sorted(self.checks.items(), key=lambda kv: (-kv[1], kv[0]))[:5]

    def as_json(self) -> dict[str, Any]:
        """The JSON webhook's payload."""
        return {
            **asdict(self),
            "subject": self.subject,
            "inspect_sql": self.inspect_sql,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True)
class Channels:
    """Where alerts go; an empty value means that channel is off."""

    smtp_url: str = ""
    email_from: str = ""
    email_to: tuple[str, ...] = ()
    slack_webhook: str = ""
    webhook_url: str = ""
    extra: dict[str, Sender] = field(default_factory=dict)  # channels supplied by the caller (Airflow hooks)
    hidden: tuple[str, ...] = ()  # the extra channels' secrets (passwords, tokens, URLs), kept out of errors

    def secrets(self) -> list[str]:
        """Every secret the channels hold, so that no error message repeats one."""
        found = [*self.hidden]
        for url in (self.smtp_url, self.slack_webhook, self.webhook_url, *self.hidden):
            found += redact.secrets_of(url)
        return found

    @classmethod
    def from_settings(cls, settings: Settings) -> Channels:
        """Channels as the NEWSFIGURES_ALERT_* settings describe them."""
        to = tuple(a.strip() for a in settings.alert_email_to.split(",") if a.strip())
        return cls(
            settings.alert_smtp_url,
            settings.alert_email_from,
            to,
            settings.alert_slack_webhook,
            settings.alert_webhook_url,
        )

    def senders(self, timeout: float = 10.0) -> dict[str, Sender]:
        """One sender per channel that is on."""
        found: dict[str, Sender] = dict(self.extra)
        if self.smtp_url and self.email_to and "smtp" not in found:
            found["smtp"] = lambda alert: send_email(self.smtp_url, self.email_from, self.email_to, alert, timeout)
        if self.slack_webhook and "slack" not in found:
            found["slack"] = lambda alert: post(self.slack_webhook, slack_payload(alert), timeout)
        if self.webhook_url and "webhook" not in found:
            found["webhook"] = lambda alert: post(self.webhook_url, alert.as_json(), timeout)
        return found


@dataclass(frozen=True)
class SmtpServer:
    """Where ``smtp://[user:password@]host:port`` points."""

    host: str
    port: int
    starttls: bool
    user: str = field(default="", repr=False)
    password: str = field(default="", repr=False)


def smtp_server(url: str) -> SmtpServer:
    """Read an SMTP URL; a password may hold "/", "?" or "@" (the host follows the last "@"). ``ConfigError``."""
    scheme, sep, rest = url.partition("://")
    userinfo, _, after = rest.rpartition("@")
    hostport = after.split("/", 1)[0]
    try:
        parts = urlsplit(f"//{hostport}")
        host, port = parts.hostname or "", parts.port or 25
    except ValueError:  # raised outside this block: its message, and so the traceback, would quote the URL
        host, port = "", 0
    if not sep or scheme not in ("smtp", "smtp+starttls") or not host:
        raise ConfigError(f"alert SMTP URL {redact.url(url)}: expected smtp://[user:password@]host:port")
    user, _, password = userinfo.partition(":")
    return SmtpServer(host, port, scheme == "smtp+starttls", unquote(user), unquote(password))


def send_email(url: str, sender: str, to: tuple[str, ...], alert: Alert, timeout: float) -> None:
    """Send the alert as a plain-text e-mail through the SMTP server at ``smtp://[user:pass@]host:port``."""
    server = smtp_server(url)
    message = EmailMessage(policy=email.policy.SMTP)
    message["Subject"], message["From"], message["To"] = alert.subject, sender, ", ".join(to)
    message.set_content(alert.text())
    # local_hostname given: without it smtplib looks up this host's FQDN, which can hang where DNS is unreachable
    with smtplib.SMTP(server.host, server.port, local_hostname="localhost", timeout=timeout) as smtp:
        if server.starttls:
            smtp.starttls()
        if server.user:
            smtp.login(server.user, server.password)
        smtp.send_message(message)


def slack_payload(alert: Alert) -> dict[str, Any]:
    """A Slack incoming-webhook message: the summary, then the details in a code block."""
    return {
        "text": alert.subject,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"```{alert.text()}```"}}],
    }


def post(url: str, payload: Mapping[str, Any], timeout: float) -> None:
    """POST JSON; a non-2xx answer is an error."""
    httpx.post(url, json=payload, timeout=timeout).raise_for_status()


def build(
    settings: Settings,
    *,
    run_id: str,
    table: str,
    total: int,
    dag_id: str,
    task_id: str,
    task_failed: bool,
    log_url: str | None = None,
    failed: int | None = None,
    at: datetime | None = None,
) -> Alert | None:
    """The alert for one run's quarantined rows of one table (of ``total`` rows checked, ``failed`` of them when the
    batch says so; only those quarantined ``at`` the stage's time when given); None when there are none."""
    with warehouse.connect(settings, read_only=True) as con:
        rows = con.execute(
            """SELECT row_key, check_name, column_name, bad_value, reason, article_url FROM quarantine
               WHERE run_id = $run AND table_name = $table AND ($at IS NULL OR quarantined_at = $at)
               ORDER BY check_name, row_key""",
            {"run": run_id, "table": table, "at": at},
        ).fetchall()
    if not rows:
        return None
    checks: dict[str, int] = {}
    for _, check, *_ in rows:
        checks[check] = checks.get(check, 0) + 1
    samples = [
        {"check": c, "column": col, "bad_value": bad, "reason": reason, "article_url": url}
        for _, c, col, bad, reason, url in rows[:5]
    ]
    failed = len({row[0] for row in rows}) if failed is None else failed
    return Alert(dag_id, run_id, task_id, table, failed, max(total, failed), checks, samples, task_failed, log_url)


PREVIOUS_RUN = """
    SELECT run_id FROM runs
    WHERE trigger = (SELECT trigger FROM runs WHERE run_id = $run)
      AND started_at < (SELECT started_at FROM runs WHERE run_id = $run)
    ORDER BY started_at DESC LIMIT 1"""


def dispatch(settings: Settings, alert: Alert, channels: Channels, *, at: datetime) -> dict[str, Any]:
    """Send the alert on every channel, unless it repeats the previous run's failure within the repeat window.

    Every decision is recorded in ``alerts``; a channel that cannot be reached is logged and recorded, never raised.
    """
    with warehouse.connect(settings) as con:
        previous = con.execute(PREVIOUS_RUN, {"run": alert.run_id}).fetchone()
        repeat = previous is not None and con.execute(
            "SELECT count(*) FROM alerts WHERE run_id = ? AND table_name = ? AND fingerprint = ?",
            [previous[0], alert.table, alert.fingerprint],
        ).fetchone() == (1,)
        streak = con.execute(
            """SELECT count(*) FILTER (WHERE NOT sent AND decided_at > coalesce(last_sent, TIMESTAMPTZ '1970-01-01')),
                      any_value(last_sent)
               FROM alerts, (SELECT max(decided_at) AS last_sent FROM alerts
                             WHERE dag_id = $dag AND table_name = $table AND fingerprint = $fp AND sent)
               WHERE dag_id = $dag AND table_name = $table AND fingerprint = $fp""",
            {"dag": alert.dag_id, "table": alert.table, "fp": alert.fingerprint},
        ).fetchone()
        unsent, last_sent = (streak or (0, None))[0], (streak or (0, None))[1]
        quiet = repeat and last_sent is not None and at - last_sent < timedelta(hours=settings.alert_repeat_hours)
        sent_to, errors = [], {}
        secrets = channels.secrets()
        if not quiet:
            alert = Alert(**{**asdict(alert), "repeats": int(unsent), "first_seen": str(last_sent) if unsent else None})
            for name, send in channels.senders().items():
                try:
                    send(alert)
                    sent_to.append(name)
                except Exception as exc:  # one unreachable channel must not silence the others
                    errors[name] = redact.text(f"{type(exc).__name__}: {exc}", secrets)
                    log.error("alert for %s not sent to %s: %s", alert.run_id, name, errors[name])
        decision = {
            "run_id": alert.run_id, "table_name": alert.table, "dag_id": alert.dag_id, "task_id": alert.task_id,
            "fingerprint": alert.fingerprint, "failed": alert.failed, "total": alert.total,
            "checks": json.dumps(alert.checks), "sent": not quiet, "channels": ",".join(sent_to) or None,
            "errors": json.dumps(errors) if errors else None, "decided_at": at,
        }  # fmt: skip
        with warehouse.transaction(con) as tx:
            tx.merge("alerts", pd.DataFrame([decision]))
    log.warning(
        "%s: %s", "alert summarised (repeat)" if quiet else f"alert sent to {sent_to or 'no channel'}", alert.subject
    )
    return decision
