"""The DuckLake warehouse. Enters: validated rows from the loaders, the SQL of ``warehouse/`` (migrations, views,
the backlog statements) and each topic's reference CSV. Leaves: the lake's tables and views for analysts, and each
stage's backlog. This module attaches (``connect``), migrates and writes: a ``Tx`` from ``transaction`` is the only
writer, MERGE on the natural keys of ``tables`` with every write journaled so a commit that lost a race is replayed.
``backlog`` holds what the stages read, ``frames`` turns records into rows, ``runs`` the run record,
``maintenance`` compacts and expires.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import duckdb

from pipeline import topics
from pipeline.backoff import jittered
from pipeline.errors import ConfigError, WarehouseError
from pipeline.settings import OBJECT_STORE_SCHEMES, PROJECT_ROOT, Settings
from pipeline.warehouse.tables import TABLES

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

LAKE = "news"  # the ATTACH alias; connect() makes it the default database
WAREHOUSE_DIR = PROJECT_ROOT / "warehouse"
_EXTENSIONS = {
    "ducklake": "duckdb_extension_ducklake",
    "sqlite_scanner": "duckdb_extension_sqlite_scanner",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
    "httpfs": "duckdb_extension_httpfs",
}
_SCHEMA_MIGRATIONS = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER NOT NULL, name VARCHAR NOT NULL, checksum VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
)"""
_CONFLICT_MARKERS = ("database is locked", "conflict", "failed to commit")
# A busy machine must not lose writes: SQLite waits this long for the catalog's lock, and a commit that lost a race
# is replayed, backing off, for up to COMMIT_PATIENCE seconds (not a fixed number of tries: load stretches each one).
SQLITE_BUSY_TIMEOUT_MS = 60_000
COMMIT_PATIENCE = 600.0
MAX_COMMIT_BACKOFF = 5.0

T = TypeVar("T")


@dataclass(frozen=True)
class _Session:
    lake: tuple[str, str]  # (catalog, data path) of the attached lake
    con: duckdb.DuckDBPyConnection
    message: str | None


_SESSION: ContextVar[_Session | None] = ContextVar("newsfigures_warehouse_session", default=None)
AUTHOR = "newsfigures"  # the author of every DuckLake commit the pipeline makes


@contextmanager
def session(settings: Settings, *, message: str | None = None) -> Iterator[None]:
    """One attached lake for everything inside (a run, a task): ``connect`` hands out cursors on it instead of
    attaching again (~0.3 s each), and every commit carries ``message`` (the run id), so ``snapshots()`` reads as a
    history of runs. Nested, it reuses the outer session's lake and sets its own message."""
    lake, outer = (settings.catalog, settings.data_path), _SESSION.get()
    shared = outer is not None and outer.lake == lake
    con = outer.con if outer is not None and shared else _attach(settings, read_only=False)
    token = _SESSION.set(_Session(lake, con, message or (outer.message if outer and shared else None)))
    try:
        yield
    finally:
        _SESSION.reset(token)
        if not shared:
            con.close()


def connect(settings: Settings, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the lake attached as ``news`` and selected by ``USE``: a cursor on the session's
    lake inside a ``session``, else a new in-memory DuckDB that attaches it.

    Inside a session ``read_only`` is not enforced: the cursor shares the session's writable attachment (the pipeline
    reads its own writes there). An analyst's read-only connection is one made outside any session."""
    current = _SESSION.get()
    if current is not None and current.lake == (settings.catalog, settings.data_path):
        cursor = current.con.cursor()
        cursor.execute(f"USE {LAKE}")
        return cursor
    return _attach(settings, read_only=read_only)


def _attach(settings: Settings, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB with the lake attached as ``news`` and selected by ``USE``.

    DuckLake's own commit retries are off: a commit that lost a race fails, and ``transaction`` replays its writes
    on the new snapshot. DuckLake would re-commit them as decided on the old one, and two runs MERGEing the same
    key (a page in both backlogs, the reference) would both insert it. The first attach of an empty catalog creates
    DuckLake's tables: writers attaching it at once collide, and the losers attach again.
    """
    catalog = settings.catalog
    statements = attach_statements(settings, read_only=read_only)
    _prepare_paths(settings, _backend(catalog), read_only=read_only)
    give_up = time.monotonic() + COMMIT_PATIENCE
    for attempt in itertools.count(1):
        # a run commits a batch at a time, hundreds in a backfill: DuckDB's allocator hands freed memory back as
        # it goes (a background thread; a flush past 8 MB of freed blocks, not 128 MB): 50,000 articles merged 500 at
        # a time peaked about 8 MB lower (twice each way: 257-265 MB against 269-270)
        con = duckdb.connect(config={"allocator_background_threads": True, "allocator_flush_threshold": "8MB"})
        try:
            for statement in statements:
                con.execute(statement)
        except duckdb.Error as exc:
            con.close()
            lost_race = any(marker in str(exc).lower() for marker in (*_CONFLICT_MARKERS, "duplicate key"))
            if not lost_race or read_only or time.monotonic() > give_up:
                raise WarehouseError(f"could not attach the lake at {catalog!r}: {exc}") from exc
            log.warning("attaching %s lost a race with another writer (attempt %d): %s", catalog, attempt, exc)
            time.sleep(jittered(0.2, attempt - 1, MAX_COMMIT_BACKOFF))
            continue
        log.debug("attached %s (read_only=%s)", catalog, read_only)
        return con
    raise AssertionError("unreachable")


def attach_statements(settings: Settings, *, read_only: bool = True) -> list[str]:
    """The SQL that attaches the configured lake as ``news`` in any DuckDB (``make sql``, an analyst's client):
    load its extensions from their PyPI wheels, ATTACH the catalog with its data path, USE it."""
    catalog = settings.catalog
    backend = _backend(catalog)
    scanner = {"sqlite": ["sqlite_scanner"], "postgres": ["postgres_scanner"]}.get(backend, [])
    loads = [f"LOAD {_literal(str(_extension_file(name)))}" for name in ("ducklake", *scanner)]
    options = [f"DATA_PATH {_literal(settings.data_path)}"] + (["READ_ONLY"] if read_only else [])
    if backend == "sqlite":
        options.append(f"META_BUSY_TIMEOUT {SQLITE_BUSY_TIMEOUT_MS}")
    attach = f"ATTACH {_literal('ducklake:' + catalog)} AS {LAKE} ({', '.join(options)})"
    # a writer's lost race fails its commit, for ``transaction`` to replay on the new snapshot (``_attach``)
    retries = [] if read_only else ["SET GLOBAL ducklake_max_retry_count = 0"]
    return [*loads, *object_store_statements(settings), *retries, attach, f"USE {LAKE}"]


def object_store_statements(settings: Settings) -> list[str]:
    """For a DATA_PATH on an object store: load ``httpfs`` from its wheel and create the S3 secret DuckDB signs with.

    Only the configured key is used (``PROVIDER config``): no credential chain, no instance-metadata lookup.
    """
    if not settings.data_path.startswith(OBJECT_STORE_SCHEMES):
        return []
    if not (settings.s3_key_id and settings.s3_secret):
        raise ConfigError(
            f"NEWSFIGURES_DATA_PATH={settings.data_path!r} is on an object store: "
            "set NEWSFIGURES_S3_KEY_ID and NEWSFIGURES_S3_SECRET"
        )
    if settings.s3_url_style not in ("path", "vhost"):
        raise ConfigError(f"NEWSFIGURES_S3_URL_STYLE={settings.s3_url_style!r}: expected path or vhost")
    options = [
        "TYPE s3",
        "PROVIDER config",
        f"KEY_ID {_literal(settings.s3_key_id)}",
        f"SECRET {_literal(settings.s3_secret)}",
        f"REGION {_literal(settings.s3_region)}",
        f"URL_STYLE {_literal(settings.s3_url_style)}",
        f"USE_SSL {str(settings.s3_use_ssl).lower()}",
    ]
    if settings.s3_endpoint:
        options.append(f"ENDPOINT {_literal(settings.s3_endpoint)}")
    return [
        f"LOAD {_literal(str(_extension_file('httpfs')))}",
        f"CREATE OR REPLACE SECRET lake_s3 ({', '.join(options)})",
    ]


def _backend(catalog: str) -> str:
    return catalog.split(":", 1)[0] if ":" in catalog else "duckdb"


def _extension_file(name: str) -> Path:
    """The path of a DuckDB extension shipped in its PyPI wheel, for a LOAD that downloads nothing."""
    package = _EXTENSIONS[name]
    try:
        module = importlib.import_module(package)
    except ImportError as exc:
        wheel = package.replace("_", "-")
        raise WarehouseError(f"{name} extension missing: install {wheel}=={duckdb.__version__}") from exc
    file = Path(str(module.__file__)).parent / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not file.exists():
        raise WarehouseError(f"{file} not found: {package} does not match duckdb {duckdb.__version__}")
    return file


def _prepare_paths(settings: Settings, backend: str, *, read_only: bool) -> None:
    """Create local directories for a SQLite catalog and the data path; a reader needs an existing catalog."""
    if backend == "sqlite":
        catalog = Path(settings.catalog.removeprefix("sqlite:"))
        if read_only and not catalog.exists():
            raise WarehouseError(f"no lake catalog at {catalog}: a writer must connect and migrate first")
        catalog.parent.mkdir(parents=True, exist_ok=True)
        if not read_only:
            _use_wal(catalog)
    if not read_only and "://" not in settings.data_path:
        Path(settings.data_path).mkdir(parents=True, exist_ok=True)


def _use_wal(catalog: Path) -> None:
    """Put the SQLite catalog in WAL mode (it persists in the file): readers never block a commit."""
    # In the default rollback journal, a reader holding an unfinished result over inlined rows keeps a shared
    # lock and every commit fails with "database is locked" until it lets go.
    # Switching needs an exclusive lock, and SQLite answers "locked" at once (no busy wait) while another writer
    # opens a new catalog at the same moment: ask first, and retry the switch until a generous deadline.
    deadline = time.monotonic() + 60
    while True:
        try:
            with closing(sqlite3.connect(catalog, timeout=30)) as db:
                if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    db.execute("PRAGMA journal_mode=WAL")
                return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise WarehouseError(f"cannot open the lake catalog {catalog}: {exc}") from exc
            time.sleep(0.05)
        except sqlite3.Error as exc:
            raise WarehouseError(f"cannot open the lake catalog {catalog}: {exc}") from exc


def _literal(text: str) -> str:
    """A SQL string literal, for the few statements (LOAD, ATTACH) that take no bound parameters."""
    return "'" + text.replace("'", "''") + "'"


class Tx:
    """One open transaction: the only way to write the lake, so every write is journaled for a replay."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con  # for reads inside the transaction; writes go through the methods below
        self.journal: list[Callable[[], object]] = []

    def _write(self, write: Callable[[], T]) -> T:
        self.journal.append(write)
        return write()

    def merge(self, table: str, frame: pd.DataFrame, *, update: bool | None = None) -> int:
        """MERGE a frame into a table on its natural key (last duplicate wins); return how many rows are new.

        Rows already stored are updated where they differ, unless the table keeps the first (``update`` overrides).
        """
        types = _column_types(self.con, table, frame, TABLES[table].key if table in TABLES else ())
        spec = TABLES[table]
        key = list(spec.key)
        if not key:
            raise WarehouseError(f"{table} has no natural key: append to it")
        batch = _clean(frame.drop_duplicates(subset=key, keep="last"))
        if batch.empty:
            return 0
        con, source = self.con, _source_sql(types, list(batch.columns))
        match = " AND ".join(f's."{k}" IS NOT DISTINCT FROM t."{k}"' for k in key)
        new_rows = f'SELECT count(*) FROM {source} WHERE NOT EXISTS (SELECT 1 FROM "{table}" AS t WHERE {match})'
        rest = [c for c in batch.columns if c not in key]
        sql = f'MERGE INTO "{table}" AS t USING {source} ON {match}'
        if (not spec.keep_first if update is None else update) and rest:
            changed = " OR ".join(f't."{c}" IS DISTINCT FROM s."{c}"' for c in rest)
            sql += f" WHEN MATCHED AND ({changed}) THEN UPDATE SET " + ", ".join(f'"{c}" = s."{c}"' for c in rest)
        names = ", ".join(f'"{c}"' for c in batch.columns)
        sql += f" WHEN NOT MATCHED THEN INSERT ({names}) VALUES (" + ", ".join(f's."{c}"' for c in batch.columns) + ")"

        def write() -> int:
            with _registered(con, batch):
                row = con.execute(new_rows).fetchone()
                con.execute(sql)
            return int(row[0]) if row else 0

        inserted = self._write(write)
        log.info("merged %d rows into %s: %d new", len(batch), table, inserted)
        return inserted

    def append(self, table: str, frame: pd.DataFrame) -> int:
        """INSERT every row of a frame (for logs such as runs and feed_polls); return the number of rows."""
        types = _column_types(self.con, table, frame, ())
        batch = _clean(frame)
        if batch.empty:
            return 0
        con, names = self.con, ", ".join(f'"{c}"' for c in batch.columns)
        sql = f'INSERT INTO "{table}" ({names}) SELECT * FROM {_source_sql(types, list(batch.columns))}'

        def write() -> int:
            with _registered(con, batch):
                con.execute(sql)
            return len(batch)

        return self._write(write)

    def execute(
        self,
        sql: str,
        params: Sequence[object] | Mapping[str, object] | None = None,
        *,
        frames: Mapping[str, pd.DataFrame] | None = None,
    ) -> None:
        """Run one write statement (values bound, ``frames`` registered by name) so a retry can replay it."""
        con = self.con

        def write() -> None:
            for name, frame in (frames or {}).items():
                con.register(name, frame)
            try:
                con.execute(sql, params)
            except duckdb.Error as exc:
                raise WarehouseError(f"{exc} in: {sql[:200]}") from exc
            finally:
                for name in frames or {}:
                    con.unregister(name)

        self._write(write)


@contextmanager
def transaction(
    con: duckdb.DuckDBPyConnection, *, patience: float = COMMIT_PATIENCE, backoff: float = 0.2
) -> Iterator[Tx]:
    """Run the block in one transaction; if the commit loses a race, replay its writes, backing off, for ``patience`` s.

    Write only through the ``Tx`` the block receives: its writes are what a replay repeats. An exception in the
    block rolls everything back and propagates.
    """
    tx = Tx(con)
    con.execute("BEGIN")
    try:
        if (current := _SESSION.get()) is not None and current.message:
            tx._write(partial(_set_message, con, current.message))
        yield tx
    except BaseException:
        _rollback(con)
        raise
    _commit(con, tx.journal, patience, backoff)


def _commit(
    con: duckdb.DuckDBPyConnection, journal: list[Callable[[], object]], patience: float, backoff: float
) -> None:
    """COMMIT; on a conflict wait, then replay the journal in a fresh transaction and try again, for ``patience`` s."""
    give_up = time.monotonic() + patience
    for attempt in itertools.count(1):
        try:
            if attempt > 1:
                con.execute("BEGIN")
                for write in journal:
                    write()
            con.execute("COMMIT")
            return
        except (duckdb.Error, WarehouseError) as exc:
            _rollback(con)
            conflict = any(marker in str(exc).lower() for marker in _CONFLICT_MARKERS)
            if not conflict or time.monotonic() > give_up:
                raise WarehouseError(f"commit failed after {attempt} attempt(s): {exc}") from exc
            delay = jittered(backoff, attempt - 1, MAX_COMMIT_BACKOFF)
            log.warning(
                "commit conflict, replaying %d writes in %.2fs (attempt %d): %s",
                len(journal),
                delay,
                attempt,
                exc,
            )
            time.sleep(delay)


def _set_message(con: duckdb.DuckDBPyConnection, message: str) -> None:
    """Name the DuckLake snapshot this transaction commits (journaled: a replay names it again)."""
    con.execute(f"CALL {LAKE}.set_commit_message(?, ?)", [AUTHOR, message])


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """ROLLBACK if a transaction is still open (a failed COMMIT already ended it)."""
    with suppress(duckdb.Error):
        con.execute("ROLLBACK")


def _column_types(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, key: Sequence[str]
) -> dict[str, str]:
    """The table's column types, after checking the table name, the frame's columns and the key."""
    if table not in TABLES:
        raise WarehouseError(f"unknown table {table!r}; expected one of {', '.join(sorted(TABLES))}")
    try:
        described = con.execute(f'DESCRIBE "{table}"').fetchall()
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot read table {table!r} (was the lake migrated?): {exc}") from exc
    types = {str(row[0]): str(row[1]) for row in described}
    unknown = [c for c in frame.columns if c not in types]
    if unknown:
        raise WarehouseError(f"{table} has no column(s) {', '.join(map(str, unknown))}")
    missing = [k for k in key if k not in frame.columns]
    if missing:
        raise WarehouseError(f"key column(s) {', '.join(missing)} missing from the {table} batch")
    return types


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn NaN in text (object) columns into None, so they load as NULL and not as the string 'nan'."""
    from pandas.api.types import is_object_dtype

    batch = frame.copy()
    for column in [c for c in batch.columns if is_object_dtype(batch[c])]:
        batch[column] = batch[column].astype(object).where(batch[column].notna(), None)
    return batch


def _source_sql(types: dict[str, str], columns: list[str]) -> str:
    """A subquery over the registered batch, each column cast to its table type so comparisons are exact."""
    casts = ", ".join(f'CAST("{c}" AS {types[c]}) AS "{c}"' for c in columns)
    return f"(SELECT {casts} FROM _newsfigures_batch) AS s"


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> Iterator[None]:
    """Expose the frame to SQL as ``_newsfigures_batch`` for one statement group."""
    con.register("_newsfigures_batch", frame)
    try:
        yield
    except duckdb.Error as exc:
        raise WarehouseError(str(exc)) from exc
    finally:
        con.unregister("_newsfigures_batch")


def migrate(con: duckdb.DuckDBPyConnection, sql_dir: Path = WAREHOUSE_DIR) -> list[str]:
    """Apply pending migrations in order, recreate changed views, load changed reference series; return names applied.

    On an up-to-date lake this only reads (no commit, no snapshot): every run starts with it.
    """
    try:
        recorded = {int(v): c for v, c in con.execute("SELECT version, checksum FROM schema_migrations").fetchall()}
    except duckdb.CatalogException:  # a new lake
        with transaction(con) as tx:
            tx._write(partial(_run, con, _SCHEMA_MIGRATIONS, "schema_migrations"))
        recorded = {}
    applied = []
    for path in sorted((sql_dir / "migrations").glob("[0-9][0-9][0-9]_*.sql")):
        version, text = int(path.name[:3]), path.read_text(encoding="utf-8")
        checksum = hashlib.sha256(text.encode()).hexdigest()
        if version in recorded:
            if recorded[version] != checksum:
                log.warning("migration %s changed after it was applied; it is not re-run", path.name)
            continue
        with transaction(con) as tx:
            done = tx._write(partial(_apply, con, version, path.name, text, checksum))
        if done:
            applied.append(path.name)
            log.info("applied migration %s", path.name)
    files = dict(con.execute("SELECT name, checksum FROM schema_views").fetchall())
    _refresh_views(con, sql_dir / "views", files)
    references = list(dict.fromkeys(r for name in topics.names() if (r := topics.load(name).reference) is not None))
    for path, checksum in _changed(files, references, prefix=REFERENCE_PREFIX):
        load_reference(con, path, checksum=checksum)
    return applied


REFERENCE_PREFIX = "reference/"  # schema_views also records the reference CSVs loaded, under this prefix


def _changed(applied: Mapping[str, str], paths: Sequence[Path], *, prefix: str = "") -> list[tuple[Path, str]]:
    """The files (with their sha256) that ``applied`` (``schema_views``: name -> checksum) does not hold so."""
    checksums = [(path, hashlib.sha256(path.read_bytes()).hexdigest()) for path in paths]
    return [(path, checksum) for path, checksum in checksums if applied.get(prefix + path.name) != checksum]


def _refresh_views(con: duckdb.DuckDBPyConnection, views_dir: Path, applied: Mapping[str, str]) -> None:
    """(Re)create the views whose file is new or changed since it was last applied, in file-name order."""
    import pandas as pd

    changed = _changed(applied, sorted(views_dir.glob("*.sql")))
    if not changed:
        return
    now = datetime.now(UTC)
    record = pd.DataFrame([{"name": p.name, "checksum": c, "applied_at": now} for p, c in changed])
    with transaction(con) as tx:
        for path, _ in changed:
            tx._write(partial(_run, con, path.read_text(encoding="utf-8"), path.name))
        tx.merge("schema_views", record)
    log.info("views (re)created: %s", ", ".join(p.name for p, _ in changed))


def _apply(con: duckdb.DuckDBPyConnection, version: int, name: str, sql: str, checksum: str) -> bool:
    """Run one migration unless another writer recorded it meanwhile; record it."""
    if con.execute("SELECT 1 FROM schema_migrations WHERE version = ?", [version]).fetchone():
        return False
    _run(con, sql, name)
    now = datetime.now(UTC)
    con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?, ?)", [version, name, checksum, now])
    return True


def _run(con: duckdb.DuckDBPyConnection, sql: str, name: str) -> None:
    """Execute a SQL file's statements, naming the file in any error."""
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        raise WarehouseError(f"{name}: {exc}") from exc


def load_reference(con: duckdb.DuckDBPyConnection, path: Path, *, checksum: str | None = None) -> int:
    """MERGE a topic's tidy reference CSV into reference_series; return the number of new rows.

    With ``checksum``, the file is recorded as loaded (in ``schema_views``), so ``migrate`` loads it again only
    once it changes.
    """
    import pandas as pd  # imported here: pandas costs a second at import, and only loaders need it

    frame = pd.read_csv(path, dtype={"year": "int64", "value": "float64"}, keep_default_na=False, na_values=[""])
    with transaction(con) as tx:
        inserted = tx.merge("reference_series", frame)
        if checksum is not None:
            loaded = {"name": REFERENCE_PREFIX + path.name, "checksum": checksum, "applied_at": datetime.now(UTC)}
            tx.merge("schema_views", pd.DataFrame([loaded]))
    log.info("reference %s: %d rows, %d new", path.name, len(frame), inserted)
    return inserted
