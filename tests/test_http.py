"""The HTTP client: address guard, pinned connections, decoded-size cap, and the setting that allows loopback."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from typing import Any

import httpx
import pytest
from conftest import LocalServer

from pipeline.errors import ConfigError, FetchError
from pipeline.fetch import http
from pipeline.records import Response
from pipeline.settings import Settings


def get(url: str, settings: Settings, **kwargs: object) -> Response:
    async def run() -> Response:
        async with http.client(settings, **kwargs) as client:  # type: ignore[arg-type]
            return await http.get(client, url, max_bytes=settings.max_body_bytes)

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("93.184.216.34", None),
        ("2606:2800:220:1:248:1893:25c8:1946", None),
        ("127.0.0.53", "loopback address 127.0.0.53"),
        ("172.16.5.4", "private address 172.16.5.4"),
        ("100.64.0.1", "reserved address 100.64.0.1"),  # carrier-grade NAT: not on the public internet
        ("fe80::1%eth0", "link-local address fe80::1"),
        ("fc00::1", "private address fc00::1"),
        ("224.0.0.1", "multicast address 224.0.0.1"),
    ],
)
def test_addresses_off_the_public_internet_are_named(address: str, why: str | None) -> None:
    assert http.refusal(address) == why


def test_the_connection_goes_to_the_checked_address_with_the_name_for_host_and_tls() -> None:
    seen: list[httpx.Request] = []

    def site(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="ok")

    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34"] if (host, port) == ("news.example", 443) else []

    response = get("https://news.example/a?b=1", Settings(), transport=httpx.MockTransport(site), resolver=resolver)

    (request,) = seen
    assert (str(request.url), request.headers["host"]) == ("https://93.184.216.34/a?b=1", "news.example")
    assert request.extensions["sni_hostname"] == "news.example"
    assert response.final_url == "https://news.example/a?b=1" and response.body == b"ok"


def test_a_name_that_does_not_resolve_is_a_fetch_error() -> None:
    async def nowhere(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(FetchError, match=r"cannot resolve nowhere\.example"):
        get("http://nowhere.example/", Settings(), resolver=nowhere)


def test_gzip_is_decoded_and_capped_by_its_decoded_size(server: LocalServer) -> None:
    body = b"<p>arrivals</p>" * 1000
    url = server.route("/gz", body=gzip.compress(body), headers={"Content-Encoding": "gzip"})
    loose = Settings(allow_private_addresses=True)
    tight = Settings(allow_private_addresses=True, max_body_bytes=len(body) - 1)

    assert get(url, loose).body == body
    with pytest.raises(FetchError, match="byte limit"):
        get(url, tight)


def test_a_corrupt_gzip_body_is_a_fetch_error(server: LocalServer) -> None:
    url = server.route("/bad", body=b"\x1f\x8b\x08\x00garbage", headers={"Content-Encoding": "gzip"})

    with pytest.raises(FetchError, match="gzip"):
        get(url, Settings(allow_private_addresses=True))


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip, gzip", lambda b: gzip.compress(gzip.compress(b))),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send it
        ("deflate, gzip", lambda b: gzip.compress(zlib.compress(b))),
        ("identity, gzip", gzip.compress),
    ],
    ids=["gzip-twice", "deflate", "raw-deflate", "deflate-then-gzip", "identity-gzip"],
)
def test_every_content_coding_layer_is_undone(server: LocalServer, encoding: str, encode: Any) -> None:
    body = b"<p>arrivals</p>" * 1000
    url = server.route("/coded", body=encode(body), headers={"Content-Encoding": encoding})

    assert get(url, Settings(allow_private_addresses=True)).body == body


@pytest.mark.parametrize(("encoding", "reason"), [("br", "'br' is not supported"), ("gzip, " * 4, "4 content codings")])
def test_content_codings_not_undone_are_fetch_errors(server: LocalServer, encoding: str, reason: str) -> None:
    url = server.route("/coded", body=b"\x00" * 100, headers={"Content-Encoding": encoding})

    with pytest.raises(FetchError, match=reason):
        get(url, Settings(allow_private_addresses=True))


@pytest.mark.parametrize(("raw", "allowed"), [("true", True), ("1", True), ("no", False), ("", False)])
def test_allow_private_addresses_reads_from_the_environment(raw: str, allowed: bool) -> None:
    settings = Settings.from_env({"NEWSFIGURES_ALLOW_PRIVATE_ADDRESSES": raw}, feeds=())

    assert settings.allow_private_addresses is allowed


def test_a_misspelt_flag_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="NEWSFIGURES_ALLOW_PRIVATE_ADDRESSES"):
        Settings.from_env({"NEWSFIGURES_ALLOW_PRIVATE_ADDRESSES": "maybe"}, feeds=())
