"""Pages: fetching real pages from a local server, with their failures recorded rather than raised."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from pathlib import Path

from conftest import LocalServer, data

from pipeline.fetch import archive, http, pages
from pipeline.records import Page, Response
from pipeline.settings import Settings

HTML = {"Content-Type": "text/html; charset=utf-8"}


def fetch(url: str, root: Path, *, max_bytes: int = 1_000_000, redirects: int = 5) -> tuple[Page, Response | None]:
    async def run() -> tuple[Page, Response | None]:
        async with http.client(Settings(max_redirects=redirects, allow_private_addresses=True)) as client:
            return await pages.fetch(client, url, archive_root=root, max_bytes=max_bytes)

    return asyncio.run(run())


def test_fetched_page_is_archived_and_logged(server: LocalServer, tmp_path: Path) -> None:
    body = data("article.html")
    url = server.route("/story", body=body, headers=HTML)

    page, response = fetch(url, tmp_path)

    assert page.error is None
    assert page.body_sha256 == hashlib.sha256(body).hexdigest()
    assert (page.status, page.size, page.content_type) == (200, len(body), HTML["Content-Type"])
    assert page.final_url == url and page.fetched_at.tzinfo is not None
    assert response is not None and response.body == body
    assert archive.read(tmp_path, page.body_sha256).body == body
    (request,) = server.seen("/story")
    assert request.headers["user-agent"] == Settings().user_agent


def test_gzip_encoded_page_is_stored_decoded(server: LocalServer, tmp_path: Path) -> None:
    body = data("article.html")
    url = server.route("/gz", body=gzip.compress(body), headers={**HTML, "Content-Encoding": "gzip"})

    page, _ = fetch(url, tmp_path)

    assert page.body_sha256 == hashlib.sha256(body).hexdigest()
    assert archive.read(tmp_path, page.body_sha256).body == body


def test_page_over_the_size_limit_is_an_error_naming_the_limit(server: LocalServer, tmp_path: Path) -> None:
    url = server.route("/huge", body=b"<html>" + b"x" * 5000 + b"</html>", headers=HTML)

    page, response = fetch(url, tmp_path, max_bytes=1000)

    assert response is None and page.body_sha256 is None
    assert page.error is not None and "1000 byte limit" in page.error
    assert not list(tmp_path.rglob("*.warc.gz"))


def test_redirect_is_followed_and_final_url_recorded(server: LocalServer, tmp_path: Path) -> None:
    final = server.route("/final", body=data("article.html"), headers=HTML)
    start = server.route("/moved", status=301, headers={"Location": "/final"})

    page, response = fetch(start, tmp_path)

    assert page.error is None
    assert (page.url, page.final_url) == (start, final)
    assert response is not None and archive.read(tmp_path, page.body_sha256 or "").final_url == final


def test_redirect_loop_is_an_error(server: LocalServer, tmp_path: Path) -> None:
    url = server.route("/loop", status=302, headers={"Location": "/loop"})

    page, response = fetch(url, tmp_path, redirects=3)

    assert response is None
    assert page.error is not None and "too many redirects" in page.error.lower()
    assert len(server.seen("/loop")) == 4  # the first request and three redirects


def test_non_html_content_type_is_an_error(server: LocalServer, tmp_path: Path) -> None:
    url = server.route("/report.pdf", body=b"%PDF-1.7 ...", headers={"Content-Type": "application/pdf"})

    page, response = fetch(url, tmp_path)

    assert response is None
    assert page.error is not None and "application/pdf" in page.error and "not HTML" in page.error
    assert page.status == 200 and page.content_type == "application/pdf"


def test_http_error_status_is_an_error(server: LocalServer, tmp_path: Path) -> None:
    url = server.route("/gone", status=404, body=b"<html>gone</html>", headers=HTML)

    page, response = fetch(url, tmp_path)

    assert (page.status, page.error, response) == (404, "HTTP 404", None)
    assert not list(tmp_path.rglob("*.warc.gz"))


def test_fetch_all_keeps_order_and_survives_failures(server: LocalServer, refused_url: str, tmp_path: Path) -> None:
    slow = server.route("/slow", body=data("article.html"), headers=HTML, delay=0.2)
    fast = server.route("/fast", body=data("login.html"), headers=HTML)
    missing = server.route("/missing", status=404)

    async def run() -> list[tuple[Page, Response | None]]:
        async with http.client(Settings(allow_private_addresses=True)) as client:
            return await pages.fetch_all(
                client,
                [slow, refused_url, missing, fast],
                archive_root=tmp_path,
                max_bytes=1_000_000,
                concurrency=2,
            )

    results = asyncio.run(run())

    assert [page.url for page, _ in results] == [slow, refused_url, missing, fast]
    assert [page.error is None for page, _ in results] == [True, False, False, True]
    assert len(list(tmp_path.rglob("*.warc.gz"))) == 2


def test_archive_retention_deletes_old_responses_and_a_new_fetch_archives_again(
    server: LocalServer, tmp_path: Path
) -> None:
    import os
    from datetime import UTC, datetime, timedelta

    old_url = server.route("/old", body=data("article.html"), headers=HTML)
    new_url = server.route("/new", body=data("article.html").replace(b"<title>", b"<title>New "), headers=HTML)
    old, _ = fetch(old_url, tmp_path)
    new, _ = fetch(new_url, tmp_path)
    now = datetime.now(UTC)
    long_ago = (now - timedelta(days=40)).timestamp()
    os.utime(archive.path_for(tmp_path, str(old.body_sha256)), (long_ago, long_ago))

    assert archive.prune(tmp_path, retention_days=0, now=now) == 0
    assert archive.prune(tmp_path, retention_days=30, now=now) == 1

    assert not archive.path_for(tmp_path, str(old.body_sha256)).exists()
    assert archive.read(tmp_path, str(new.body_sha256)).url == new_url
    fetch(old_url, tmp_path)
    assert archive.read(tmp_path, str(old.body_sha256)).url == old_url


def test_hosts_take_turns_so_one_hosts_long_backlog_does_not_hold_back_the_others(tmp_path: Path) -> None:
    busy, quiet = LocalServer(), LocalServer()
    busy.start()
    quiet.start()
    try:
        backlog = [busy.route(f"/busy-{n}.html", body=data("article.html"), headers=HTML) for n in range(4)]
        backlog.append(quiet.route("/quiet.html", body=data("article.html"), headers=HTML))
        settings = Settings(allow_private_addresses=True, host_delay=0.0, archive_dir=str(tmp_path / "archive"))
        batches = [[page.url for page in batch] for batch in pages.fetch_pages(settings, backlog, batch=2)]
    finally:
        busy.stop()
        quiet.stop()
    # the quiet host's one page comes in the first batch, not after every page of the busy host
    assert batches == [[backlog[0], backlog[4]], backlog[1:3], [backlog[3]]]
    assert pages.in_turns(["http://a/1", "http://a/2", "https://a/3", "http://b/1"]) == [
        "http://a/1", "https://a/3", "http://b/1", "http://a/2",
    ]  # fmt: skip
