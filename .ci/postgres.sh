#!/bin/sh
# Install PostgreSQL (Debian packages) when its server binaries are missing, for tests/test_postgres.py.
# Idempotent and quiet: does nothing when /usr/lib/postgresql/*/bin/initdb exists. Needs root (or sudo) to install.
set -eu
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
ls /usr/lib/postgresql/*/bin/initdb >/dev/null
