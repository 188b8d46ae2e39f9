"""``make airflow``: this project's ``airflow standalone``, its database migrated and its pool created.

``python -m pipeline.airflow.standalone [--home DIR] [--port N]`` stays in the foreground; Ctrl-C stops
Airflow and every process it started.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType

from pipeline.airflow import WRITER_POOL
from pipeline.settings import PROJECT_ROOT

POOL = WRITER_POOL
POOL_DESCRIPTION = "Tasks that commit to the DuckLake warehouse: one writer at a time, so commits never conflict."
DEFAULT_HOME = PROJECT_ROOT / ".airflow"
DEFAULT_PORT = 8080
PASSWORD_FILE = "simple_auth_manager_passwords.json.generated"
STOP_GRACE_SECONDS = 20.0


def airflow_env(
    home: Path,
    port: int,
    *,
    dags_folder: Path = PROJECT_ROOT / "dags",
    log_server_ports: tuple[int, int] | None = None,
) -> dict[str, str]:
    """The ``AIRFLOW*`` variables of an instance kept in ``home`` whose API listens on 127.0.0.1:``port``.

    ``log_server_ports`` (worker, triggerer) moves the log servers off 8793/8794, for a second instance.
    """
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Sized for a laptop: the warehouse pool serialises writers anyway.
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        # Task workers reach the API through this URL; without it they call :8080 whatever the port.
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        # New DAG files appear within seconds instead of the default five minutes.
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
    }
    if log_server_ports is not None:
        env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = str(log_server_ports[0])
        env["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"] = str(log_server_ports[1])
    return env


def launch_env(home: Path, port: int, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` (the caller's environment) plus ``airflow_env``, with this venv's ``bin`` first on PATH."""
    # standalone starts its components as plain "airflow" from PATH: make that this venv's airflow.
    bin_dir = str(Path(sys.executable).parent)
    path = os.pathsep.join([bin_dir, base.get("PATH", os.defpath)])
    return {**base, **airflow_env(home, port), "PATH": path}


def prepare(env: Mapping[str, str]) -> None:
    """Migrate the metadata database and create the warehouse pool (both idempotent)."""
    _airflow(env, "db", "migrate")
    _airflow(env, "pools", "set", POOL, "1", POOL_DESCRIPTION)


def run_foreground(env: Mapping[str, str]) -> int:
    """Run ``airflow standalone`` until it exits or we are interrupted; then stop it and all it started."""
    # Its own process group, with SIGINT at its default even if ours is ignored (make ... &), so we can stop
    # the whole tree: standalone's children (scheduler, api-server, ...) and their task workers.
    process = subprocess.Popen(
        [_airflow_bin(), "standalone"],
        env=dict(env),
        process_group=0,
        preexec_fn=_default_sigint,
    )
    # Stop on Ctrl-C and on SIGTERM even when started in the background, where SIGINT arrives ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.suppress(KeyboardInterrupt):
        process.wait()
    return stop(process)  # also after a crash: its components must not outlive it


def stop(process: subprocess.Popen[bytes]) -> int:
    """Ask standalone to stop (SIGINT to its group), then terminate, then kill what is left; return its status."""
    _signal_group(process.pid, signal.SIGINT)
    if not _exited(process, STOP_GRACE_SECONDS):
        _signal_group(process.pid, signal.SIGTERM)
        _exited(process, 10.0)
    # Idle LocalExecutor workers ignore SIGINT and SIGTERM and outlive a scheduler that did not stop them.
    deadline = time.monotonic() + 5.0
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    _signal_group(process.pid, signal.SIGKILL)
    return process.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Prepare and run the project's Airflow; return its exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME, help="AIRFLOW_HOME (default: %(default)s)")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("AIRFLOW_PORT", DEFAULT_PORT)),
        help="API and UI port on 127.0.0.1 (default: $AIRFLOW_PORT or 8080)",
    )
    args = parser.parse_args(argv)
    home: Path = args.home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    env = launch_env(home, args.port, os.environ)
    try:
        prepare(env)
    except subprocess.CalledProcessError as exc:
        print(f"airflow {' '.join(exc.cmd[1:])} failed (exit {exc.returncode})", file=sys.stderr)
        return exc.returncode
    print(
        f"\nAirflow UI:     http://127.0.0.1:{args.port}  (user admin)\n"
        f"Password file:  {home / PASSWORD_FILE}  (written on first start)\n"
        f"AIRFLOW_HOME:   {home}\n"
        f"DAGs folder:    {env['AIRFLOW__CORE__DAGS_FOLDER']}\n"
        "Ready in about 30 s. Ctrl-C stops Airflow.\n",
        flush=True,
    )
    return run_foreground(env)


def _airflow_bin() -> str:
    return str(Path(sys.executable).parent / "airflow")


def _airflow(env: Mapping[str, str], *args: str) -> None:
    subprocess.run([_airflow_bin(), *args], env=dict(env), check=True, stdout=subprocess.DEVNULL)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _exited(process: subprocess.Popen[bytes], timeout: float) -> bool:
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    return True


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


if __name__ == "__main__":
    sys.exit(main())
