"""The project's one HTTP client: a User-Agent naming us, timeouts, a body size cap, bounded redirects, http(s) only.

Every request, redirects included, goes through a guard transport that resolves the host itself, refuses
loopback, private, link-local and other non-public addresses (unless ``allow_private_addresses``), and connects to
the address it checked, so a name that resolves differently a moment later (DNS rebinding) cannot slip past.
The size cap counts decoded bytes at every content-coding layer (``gzip, gzip`` too), so a small bomb is refused
as soon as any layer inflates past the cap. The deadline covers the whole exchange: connecting, headers (however
many ``102 Processing`` come first), redirects and body.
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

from pipeline.errors import FetchError, TransientFetchError
from pipeline.records import Response
from pipeline.settings import Settings

log = logging.getLogger(__name__)

SCHEMES = ("http", "https")
DEADLINE = "newsfigures_deadline"  # request extension: when the exchange must be over (time.monotonic())
Resolver = Callable[[str, int], Awaitable[list[str]]]


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
    """A response body that fails once the whole exchange has taken longer than its deadline."""

    def __init__(self, inner: httpx.AsyncByteStream, request: httpx.Request, deadline: float) -> None:
        self._inner, self._request, self._deadline = inner, request, deadline

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = aiter(self._inner)
        while True:
            try:
                async with asyncio.timeout(self._deadline - time.monotonic()):
                    chunk = await anext(chunks)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise httpx.ReadTimeout(
                    "response deadline passed while bytes trickled in", request=self._request
                ) from None
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
        # one deadline for the request and every redirect it follows: httpx hands them the same extensions dict
        deadline = request.extensions.setdefault(DEADLINE, time.monotonic() + self._deadline)
        try:
            async with asyncio.timeout(deadline - time.monotonic()):
                response = await self._inner.handle_async_request(await self._pinned(request))
        except TimeoutError:
            raise httpx.ReadTimeout("response deadline passed before the headers were read", request=request) from None
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Deadline(response.stream, request, deadline),
            extensions=response.extensions,
        )

    async def _pinned(self, request: httpx.Request) -> httpx.Request:
        """The request sent to the address its host resolves to, once that address is checked."""
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
        return httpx.Request(
            request.method,
            url.copy_with(host=addresses[0]),
            headers=request.headers,  # keeps Host: the name, not the address
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": host},
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
    status = response.status_code
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(url, f"body of {declared} bytes exceeds the {max_bytes} byte limit", status)
    codings = [c.strip().lower() for c in response.headers.get_list("content-encoding", split_commas=True)]
    codings = [c for c in codings if c not in ("", "identity")]
    unknown = [c for c in codings if c not in _WBITS]
    if unknown or len(codings) > MAX_CODINGS:
        why = f"content coding {unknown[0]!r} is not supported" if unknown else f"{len(codings)} content codings"
        raise FetchError(url, f"{why} (Content-Encoding: {', '.join(codings)})", status)
    pieces = response.aiter_raw()
    for coding in reversed(codings):  # the coding listed last was applied last
        pieces = _inflate(pieces, coding, max_bytes, url, status)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in pieces:
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(url, f"body exceeds the {max_bytes} byte limit", status)
            chunks.append(chunk)
    except zlib.error as exc:
        raise FetchError(url, f"corrupt {', '.join(codings)} body: {exc}", status) from exc
    return b"".join(chunks)


MAX_CODINGS = 3  # content codings stacked on one body; more is no honest server's configuration
STEP = 1 << 20  # bytes inflated at a time
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


async def _inflate(raw: AsyncIterator[bytes], coding: str, limit: int, url: str, status: int) -> AsyncIterator[bytes]:
    """Undo one content coding ``STEP`` bytes at a time, refusing more than ``limit``: no layer inflates a bomb."""
    inflate = zlib.decompressobj(_WBITS[coding])
    made, received = 0, False
    async for data in raw:
        if coding == "deflate" and not received and data and not _zlib_header(data):
            inflate = zlib.decompressobj(-zlib.MAX_WBITS)  # "deflate" sent raw, without its zlib wrapper
        received = received or bool(data)
        while True:
            out = inflate.decompress(data, STEP)
            data = inflate.unconsumed_tail
            made += len(out)
            if made > limit:
                raise FetchError(url, f"body exceeds the {limit} byte limit (decoding {coding})", status)
            if out:
                yield out
            if not data and (len(out) < STEP or inflate.eof):  # a full step may have left output pending
                break
    if received and not inflate.eof:
        raise zlib.error(f"the {coding} stream ends before its end marker")


def _zlib_header(data: bytes) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
