"""Alert channels from Airflow connections, when they exist; else from NEWSFIGURES_ALERT_* settings.

Connections: ``newsfigures_smtp`` (type smtp; extra ``{"to": "a@x, b@y", "from_email": ...}``) sends through the smtp
provider's hook; ``newsfigures_slack`` (type slackwebhook) through the slack provider's hook; ``newsfigures_webhook``
(type http; its host is the URL) receives the alert as JSON.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk import Connection
from airflow.sdk.exceptions import AirflowNotFoundException

from pipeline.checks import alerts
from pipeline.settings import Settings

log = logging.getLogger(__name__)

SMTP, SLACK, WEBHOOK = "newsfigures_smtp", "newsfigures_slack", "newsfigures_webhook"


def _connection(conn_id: str) -> Any | None:
    try:
        return Connection.get(conn_id)
    except AirflowNotFoundException:
        return None


def channels(settings: Settings) -> alerts.Channels:
    """Settings' channels, each replaced by its Airflow connection where one is defined."""
    extra: dict[str, alerts.Sender] = {}
    hidden: list[str] = []  # what the connections hold that no error message may repeat
    for conn in filter(None, map(_connection, (SMTP, SLACK, WEBHOOK))):
        hidden += [str(conn.password or ""), conn.get_uri(), *([str(conn.host)] if "://" in str(conn.host) else [])]
    if (smtp := _connection(SMTP)) is not None:
        to = [a.strip() for a in str(smtp.extra_dejson.get("to", settings.alert_email_to)).split(",") if a.strip()]
        sender = smtp.extra_dejson.get("from_email") or settings.alert_email_from

        def by_email(alert: alerts.Alert) -> None:
            from airflow.providers.smtp.hooks.smtp import SmtpHook

            with SmtpHook(smtp_conn_id=SMTP) as hook:
                hook.send_email_smtp(
                    to=to, subject=alert.subject, html_content=f"<pre>{alert.text()}</pre>", from_email=sender
                )

        extra["smtp"] = by_email
    if _connection(SLACK) is not None:

        def by_slack(alert: alerts.Alert) -> None:
            from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

            payload = alerts.slack_payload(alert)
            SlackWebhookHook(slack_webhook_conn_id=SLACK).send(text=payload["text"], blocks=payload["blocks"])

        extra["slack"] = by_slack
    if (hook := _connection(WEBHOOK)) is not None:
        url = str(hook.host)
        extra["webhook"] = lambda alert: alerts.post(url, alert.as_json(), 10.0)
    base = alerts.Channels.from_settings(settings)
    return alerts.Channels(
        base.smtp_url, base.email_from, base.email_to, base.slack_webhook, base.webhook_url, extra, tuple(hidden)
    )
