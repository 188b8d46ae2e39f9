"""Secrets out of messages: a URL keeps its scheme, host and port; a known secret becomes ``***``.

Alert channels carry credentials in their URLs (a Slack token in the path, ``?token=`` in a query, an SMTP password in
the userinfo); errors that quote those URLs are logged and stored in ``alerts.errors``, which every analyst reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, unquote

HIDDEN = "***"
URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+")


def url(text: str) -> str:
    """``scheme://host:port``, with ``***`` where userinfo, path, query or fragment were; never raises."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        return HIDDEN
    _, at, after = rest.rpartition("@")  # the last "@": a password may hold "/", "?" or "@"
    authority = re.split(r"[/?#]", after, maxsplit=1)[0]
    tail = after[len(authority) :]
    return f"{scheme}://{HIDDEN + '@' if at else ''}{authority}{'/' + HIDDEN if tail.strip('/') else ''}"


def secrets_of(text: str) -> list[str]:
    """The parts of a URL that may be secret: its password, path and query, as written and decoded."""
    _, sep, rest = text.partition("://")
    if not sep:
        return [text] if text else []
    userinfo, _, after = rest.rpartition("@")
    authority = re.split(r"[/?#]", after, maxsplit=1)[0]
    tail = after[len(authority) :]
    found = [text, tail.lstrip("/"), *(part for part in re.split(r"[/?#&=]", tail) if len(part) >= 6)]
    if userinfo:
        found += [userinfo, userinfo.partition(":")[2]]
    return [s for s in {*found, *(unquote(s) for s in found), *(quote(s, safe="") for s in found)} if len(s) > 1]


def text(message: str, secrets: Iterable[str] = ()) -> str:
    """``message`` with every URL reduced by ``url`` and every one of ``secrets`` replaced by ``***``."""
    message = URL.sub(lambda m: url(m.group(0)), message)
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        message = message.replace(secret, HIDDEN)
    return message
