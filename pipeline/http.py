"""The project's one HTTP client: a User-Agent naming us, timeouts, a body size cap, bounded redirects, http(s) only."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime

import httpx

from pipeline.errors import FetchError
from pipeline.records import Response
from pipeline.settings import Settings

log = logging.getLogger(__name__)

SCHEMES = ("http", "https")


def client(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """An ``AsyncClient`` configured from settings; the caller closes it (``async with``)."""
    return httpx.AsyncClient(
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        event_hooks={"request": [_refuse_other_schemes]},
        transport=transport,
    )


async def _refuse_other_schemes(request: httpx.Request) -> None:
    if request.url.scheme not in SCHEMES:
        raise FetchError(str(request.url), f"scheme {request.url.scheme!r} is not allowed")


async def get(
    http: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """GET ``url`` and read at most ``max_bytes`` of body; raise ``FetchError`` on network errors and oversize bodies.

    Any status is returned as a ``Response``: the caller decides what a 304 or a 404 means.
    """
    if httpx.URL(url).scheme not in SCHEMES:
        raise FetchError(url, "only http and https URLs are fetched")
    started = time.perf_counter()
    fetched_at = datetime.now(UTC)
    try:
        async with http.stream("GET", url, headers=dict(headers or {})) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(
                    url, f"body of {declared} bytes exceeds the {max_bytes} byte limit", response.status_code
                )
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(url, f"body exceeds the {max_bytes} byte limit", response.status_code)
                chunks.append(chunk)
    except httpx.TooManyRedirects as exc:
        raise FetchError(url, f"too many redirects: {exc}") from exc
    except httpx.TimeoutException as exc:
        raise FetchError(url, f"timed out: {type(exc).__name__}") from exc
    except httpx.HTTPError as exc:
        raise FetchError(url, f"{type(exc).__name__}: {exc}") from exc
    return Response(
        url=url,
        final_url=str(response.url),
        status=response.status_code,
        request_headers=dict(response.request.headers),
        headers={k.lower(): v for k, v in response.headers.items()},
        body=b"".join(chunks),
        fetched_at=fetched_at,
        elapsed_ms=round((time.perf_counter() - started) * 1000),
        http_version=response.http_version,
    )
