"""The project's one HTTP client: a User-Agent naming us, timeouts, a body size cap, bounded redirects, http(s) only.

Every request, redirects included, goes through a guard transport that resolves the host itself, refuses
loopback, private, link-local and other non-public addresses (unless ``allow_private_addresses``), and connects to
the address it checked, so a name that resolves differently a moment later (DNS rebinding) cannot slip past.
The size cap counts decoded bytes, so a small gzip bomb is refused as soon as it inflates past the cap.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime

import httpx

from pipeline.errors import FetchError
from pipeline.records import Response
from pipeline.settings import Settings

log = logging.getLogger(__name__)

SCHEMES = ("http", "https")
Resolver = Callable[[str, int], Awaitable[list[str]]]


class TransientFetchError(FetchError):
    """A connection that failed or broke off: worth another try later (a timeout or a refusal is not)."""


async def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (the system resolver, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refusal(address: str) -> str | None:
    """Why an address is not on the public internet, or None when it is."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for label, hit in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved or not ip.is_global),
    ):
        if hit:
            return f"{label} address {ip}"
    return None


class _Deadline(httpx.AsyncByteStream):
    """A response body that fails once the whole response has taken longer than its deadline."""

    def __init__(self, inner: httpx.AsyncByteStream, request: httpx.Request, deadline: float) -> None:
        self._inner, self._request, self._deadline = inner, request, deadline

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            if time.monotonic() > self._deadline:
                raise httpx.ReadTimeout("response deadline passed while bytes trickled in", request=self._request)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class GuardedTransport(httpx.AsyncBaseTransport):
    """Checks the scheme and resolved address of every request, pins the connection to it, bounds its duration."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, *, allow_private: bool, deadline: float, resolver: Resolver = resolve
    ) -> None:
        self._inner, self._allow_private, self._deadline, self._resolve = inner, allow_private, deadline, resolver

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Refuse, or forward to the checked address with the original Host header and TLS server name."""
        url = request.url
        if url.scheme not in SCHEMES:
            raise FetchError(str(url), f"scheme {url.scheme!r} is not allowed")
        host = url.raw_host.decode("ascii")  # IDNA-encoded: what DNS and the Host header carry
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            addresses = await self._resolve(host.strip("[]"), port)
        except (OSError, UnicodeError) as exc:
            raise FetchError(str(url), f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise FetchError(str(url), f"{host} resolves to no address")
        if not self._allow_private:
            for address in addresses:
                why = refusal(address)
                if why is not None:
                    raise FetchError(str(url), f"refused: {host} resolves to {why}")
        pinned = httpx.Request(
            request.method,
            url.copy_with(host=addresses[0]),
            headers=request.headers,  # keeps Host: the name, not the address
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": host},
        )
        started = time.monotonic()
        response = await self._inner.handle_async_request(pinned)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Deadline(response.stream, request, started + self._deadline),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


def client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None, *, resolver: Resolver = resolve
) -> httpx.AsyncClient:
    """An ``AsyncClient`` configured from settings; the caller closes it (``async with``)."""
    guarded = GuardedTransport(
        transport or httpx.AsyncHTTPTransport(),
        allow_private=settings.allow_private_addresses,
        deadline=settings.fetch_deadline,
        resolver=resolver,
    )
    return httpx.AsyncClient(
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        event_hooks={"request": [_refuse_other_schemes]},
        transport=guarded,
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
    """GET ``url`` and read at most ``max_bytes`` of (decoded) body; raise ``FetchError`` on any failure to fetch.

    Any status is returned as a ``Response``: the caller decides what a 304 or a 404 means.
    """
    try:
        scheme = httpx.URL(url).scheme
    except httpx.InvalidURL as exc:
        raise FetchError(url, f"invalid URL: {exc}") from exc
    if scheme not in SCHEMES:
        raise FetchError(url, "only http and https URLs are fetched")
    started = time.perf_counter()
    fetched_at = datetime.now(UTC)
    try:
        async with http.stream("GET", url, headers=dict(headers or {})) as response:
            body = await _read_capped(response, url, max_bytes)
    except FetchError as exc:
        if exc.url == url:
            raise
        raise FetchError(url, f"{exc.reason} (at {exc.url})", exc.status) from exc
    except httpx.TooManyRedirects as exc:
        raise FetchError(url, f"too many redirects: {exc}") from exc
    except httpx.TimeoutException as exc:
        raise FetchError(url, f"timed out: {type(exc).__name__}: {exc}") from exc
    except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        raise TransientFetchError(url, f"{type(exc).__name__}: {exc}") from exc
    except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as exc:
        raise FetchError(url, f"{type(exc).__name__}: {exc}") from exc
    return Response(
        url=url,
        final_url=str(response.url),
        status=response.status_code,
        request_headers=dict(response.request.headers),
        headers={k.lower(): v for k, v in response.headers.items()},
        body=body,
        fetched_at=fetched_at,
        elapsed_ms=round((time.perf_counter() - started) * 1000),
        http_version=response.http_version,
    )


async def _read_capped(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(url, f"body of {declared} bytes exceeds the {max_bytes} byte limit", response.status_code)
    gzipped = response.headers.get("content-encoding", "").strip().lower() in ("gzip", "x-gzip")
    chunks: list[bytes] = []
    size = 0
    pieces = _gunzip(response.aiter_raw(), max_bytes + 1) if gzipped else response.aiter_bytes()
    try:
        async for chunk in pieces:
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(url, f"body exceeds the {max_bytes} byte limit", response.status_code)
            chunks.append(chunk)
    except zlib.error as exc:
        raise FetchError(url, f"corrupt gzip body: {exc}", response.status_code) from exc
    return b"".join(chunks)


async def _gunzip(raw: AsyncIterator[bytes], step: int) -> AsyncIterator[bytes]:
    """Inflate at most ``step`` bytes at a time, so a gzip bomb never inflates in one go past the cap."""
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    received = False
    async for data in raw:
        received = received or bool(data)
        while data:
            out = inflate.decompress(data, step)
            data = inflate.unconsumed_tail
            if out:
                yield out
    tail = inflate.flush()
    if tail:
        yield tail
    if received and not inflate.eof:
        raise zlib.error("the gzip stream ends before its end marker")
