#!/usr/bin/env bash
# Airflow on the scale profile: CeleryExecutor with Redis as its broker, metadata and Celery results in the stack's
# PostgreSQL (database airflow), this project's dags/, and two `airflow celery worker`s. Needs `stack/stack.sh start`
# first (it reads STACK_DIR/env). Every process binds 127.0.0.1; each has a pid file and a log in STACK_DIR/airflow/.
#
#   stack/airflow.sh start|stop|status
#
# Ports: the API and UI on STACK_PORT_BASE+7, the workers' log servers +8 and +9, the triggerer's +10.
# The pipeline's settings are the stack's (STACK_DIR/env) plus the caller's environment, which must name the feeds:
# NEWSFIGURES_FEEDS_FILE (the feed watcher starts polling them at once: news_ingest is unpaused at creation).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$(cd "${STACK_DIR:-$ROOT/.stack}" 2>/dev/null && pwd) || {
    echo "airflow: no stack folder: run stack/stack.sh start first" >&2
    exit 1
}
BASE=${STACK_PORT_BASE:-18400}
HOME_DIR=$DIR/airflow
BIN=$ROOT/.venv/bin
API_PORT=$((BASE + 7))
WAIT=${STACK_WAIT_SECONDS:-180}
WORKERS="worker1 worker2"

say() { printf 'airflow: %s\n' "$*"; }
die() {
    printf 'airflow: %s\n' "$*" >&2
    exit 1
}
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

environment() {
    [ -f "$DIR/env" ] || die "no $DIR/env: run stack/stack.sh start first"
    # shellcheck disable=SC1091
    . "$DIR/env"
    [ -n "${STACK_REDIS_URL:-}" ] || die "the stack runs no Redis (STACK_SERVICES): the Celery broker is missing"
    local db=${STACK_AIRFLOW_DB#postgresql://}
    export AIRFLOW_HOME=$HOME_DIR
    export AIRFLOW__CORE__EXECUTOR=CeleryExecutor
    export AIRFLOW__CORE__DAGS_FOLDER=$ROOT/dags
    export AIRFLOW__CORE__LOAD_EXAMPLES=False
    export AIRFLOW__CORE__PARALLELISM=8
    export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql+psycopg://$db"
    # psycopg 3 is sync and async: without this Airflow looks for asyncpg
    export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC="postgresql+psycopg://$db"
    export AIRFLOW__CELERY__BROKER_URL=$STACK_REDIS_URL
    export AIRFLOW__CELERY__RESULT_BACKEND="db+postgresql+psycopg://$db"
    export AIRFLOW__CELERY__WORKER_CONCURRENCY=2
    export AIRFLOW__API__HOST=127.0.0.1
    export AIRFLOW__API__PORT=$API_PORT
    # workers reach the API (and its execution API) through this URL
    export AIRFLOW__API__BASE_URL=http://127.0.0.1:$API_PORT
    export AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://127.0.0.1:$API_PORT/execution/
    export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=10
    export AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=$((BASE + 10))
    export PATH=$BIN:$PATH
}

# start NAME PORT_OF_ITS_LOG_SERVER COMMAND...: in a session of its own, so stop ends it and every child it forked
launch() {
    local name=$1 log_port=$2
    shift 2
    if alive "$HOME_DIR/$name.pid"; then
        say "$name already running"
        return
    fi
    AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=$log_port setsid nohup "$@" >"$HOME_DIR/$name.log" 2>&1 </dev/null &
    echo $! >"$HOME_DIR/$name.pid"
    say "$name started (log $HOME_DIR/$name.log)"
}

http_ok() {
    python3 -c 'import sys, urllib.request as u
u.build_opener(u.ProxyHandler({})).open(sys.argv[1], timeout=5).read()' "$1"
}

start() {
    # the watcher polls these feeds from the moment news_ingest is parsed (it is unpaused at creation): say which
    [ -n "${NEWSFIGURES_FEEDS_FILE:-}" ] ||
        die "set NEWSFIGURES_FEEDS_FILE to the feeds the watcher is to poll (feeds.toml for the real ones)"
    environment
    mkdir -p "$HOME_DIR"
    airflow db migrate >"$HOME_DIR/migrate.log" 2>&1 || die "airflow db migrate failed: $HOME_DIR/migrate.log"
    airflow pools set warehouse_writer 1 \
        "Tasks that commit to the DuckLake warehouse: one writer at a time, so commits never conflict." >/dev/null
    launch api-server $((BASE + 11)) airflow api-server
    launch scheduler $((BASE + 12)) airflow scheduler
    launch dag-processor $((BASE + 13)) airflow dag-processor
    # Airflow's log servers bind every interface (0.0.0.0, [::]): the workers and the triggerer serve none; their logs are
    # files under AIRFLOW_HOME/logs, which the API server on this machine reads directly
    launch triggerer $((BASE + 14)) airflow triggerer --skip-serve-logs
    local i=0 worker
    for worker in $WORKERS; do
        launch "$worker" $((BASE + 8 + i)) airflow celery worker --celery-hostname "$worker@%h" --concurrency 2 \
            --skip-serve-logs
        i=$((i + 1))
    done
    local deadline=$((SECONDS + WAIT))
    until http_ok "http://127.0.0.1:$API_PORT/api/v2/monitor/health" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "the API did not answer in ${WAIT}s: $HOME_DIR/api-server.log"
        sleep 1
    done
    say "ready: UI and API on http://127.0.0.1:$API_PORT (user admin, password in $HOME_DIR/simple_auth_manager_passwords.json.generated)"
}

stop() {
    local name pid
    for name in $WORKERS triggerer dag-processor scheduler api-server; do
        pid=$HOME_DIR/$name.pid
        if alive "$pid"; then
            kill -TERM -- "-$(cat "$pid")" 2>/dev/null || kill -TERM "$(cat "$pid")"
            local deadline=$((SECONDS + 60))
            while kill -0 -- "-$(cat "$pid")" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
            kill -KILL -- "-$(cat "$pid")" 2>/dev/null || true
            say "$name stopped"
        fi
        rm -f "$pid"
    done
}

status() {
    local name
    for name in api-server scheduler dag-processor triggerer $WORKERS; do
        if alive "$HOME_DIR/$name.pid"; then say "$name running"; else say "$name stopped"; fi
    done
}

case ${1:-} in
start) start ;;
stop) [ -d "$HOME_DIR" ] && stop || true ;;
status) status ;;
*) die "usage: stack/airflow.sh start|stop|status" ;;
esac
