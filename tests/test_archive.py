"""The raw archive: responses kept as WARC files, read back exactly as fetched."""

from __future__ import annotations

import gzip
import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.errors import PipelineError
from pipeline.fetch import archive
from pipeline.records import Response

BODY = b"<html><body><p>caf\xc3\xa9 \xff\x00 bytes that are not all text</p></body></html>"


def response(body: bytes = BODY, url: str = "https://news.example.org/a?x=1") -> Response:
    return Response(
        url=url,
        final_url="https://www.example.org/a/final?x=1",
        status=200,
        request_headers={
            "host": "www.example.org",
            "user-agent": "newsfigures/0.1.0",
            "accept-encoding": "gzip",
        },
        headers={
            "content-type": "text/html; charset=utf-8",
            "content-encoding": "gzip",  # the wire was compressed; the stored body is not
            "content-length": "61",
            "etag": '"xyz"',
        },
        body=body,
        fetched_at=datetime(2024, 1, 18, 1, 2, 3, 456789, tzinfo=UTC),
        elapsed_ms=42,
    )


def test_round_trip_is_exact(tmp_path: Path) -> None:
    original = response()

    sha256 = archive.write(tmp_path, original)

    assert sha256 == hashlib.sha256(BODY).hexdigest()
    assert archive.path_for(tmp_path, sha256) == tmp_path / sha256[:2] / f"{sha256}.warc.gz"
    assert archive.read(tmp_path, sha256) == original


def test_file_is_a_gzipped_warc_with_request_and_response_records(tmp_path: Path) -> None:
    sha256 = archive.write(tmp_path, response())

    text = gzip.decompress(archive.path_for(tmp_path, sha256).read_bytes()).decode("latin-1")

    assert text.startswith("WARC/1.1")
    assert "WARC-Type: request" in text and "WARC-Type: response" in text
    assert "GET /a/final?x=1 HTTP/1.1" in text and "user-agent: newsfigures/0.1.0" in text
    assert "HTTP/1.1 200 OK" in text
    assert f"Content-Length: {len(BODY)}" in text  # the stored body's length, so WARC readers agree


def test_write_is_idempotent_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    first = archive.write(tmp_path, response())
    path = archive.path_for(tmp_path, first)
    stamp = path.stat().st_mtime_ns

    again = archive.write(tmp_path, response(url="https://elsewhere.example.com/same-body"))

    assert again == first
    assert path.stat().st_mtime_ns == stamp
    assert archive.read(tmp_path, first).url == "https://news.example.org/a?x=1"  # the first fetch is kept
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [path.name]


def test_different_bodies_get_different_files(tmp_path: Path) -> None:
    a = archive.write(tmp_path, response(b"<html>one</html>"))
    b = archive.write(tmp_path, response(b"<html>two</html>"))

    assert a != b
    assert archive.read(tmp_path, b).body == b"<html>two</html>"


def test_reading_a_missing_hash_says_so(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="no archived response"):
        archive.read(tmp_path, "ab" * 32)


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) * 2 // 3])
    elif how == "empty":
        path.write_bytes(b"")
    else:  # bytes flipped in the middle of the gzip stream
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 16]) + data[middle + 16 :])


@pytest.mark.parametrize("how", ["truncated", "empty", "corrupted"])
def test_a_damaged_file_is_refused_on_read_with_its_reason(tmp_path: Path, how: str) -> None:
    body = bytes(range(256)) * 80  # incompressible enough that a cut falls inside the body
    sha256 = archive.write(tmp_path, response(body))
    _damage(archive.path_for(tmp_path, sha256), how)

    with pytest.raises(PipelineError, match=f"archived response {sha256} is damaged"):
        archive.read(tmp_path, sha256)


@pytest.mark.parametrize("how", ["truncated", "empty", "corrupted"])
def test_writing_over_a_damaged_file_repairs_it(tmp_path: Path, how: str) -> None:
    body = bytes(range(256)) * 80
    sha256 = archive.write(tmp_path, response(body))
    _damage(archive.path_for(tmp_path, sha256), how)

    assert archive.write(tmp_path, response(body)) == sha256

    assert archive.read(tmp_path, sha256).body == body
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{sha256}.warc.gz"]


def test_the_file_is_synced_to_disk_before_it_takes_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    fsync, replace = archive.os.fsync, archive.os.replace

    def synced(fd: int) -> None:
        events.append("fsync")
        fsync(fd)

    def renamed(src: str, dst: Path) -> None:
        events.append("rename")
        replace(src, dst)

    monkeypatch.setattr(archive.os, "fsync", synced)
    monkeypatch.setattr(archive.os, "replace", renamed)

    archive.write(tmp_path, response())

    assert events[:2] == ["fsync", "rename"]
