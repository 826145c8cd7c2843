#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for dcb-sim's PostgreSQL tests and benchmarks.
#
#   eval "$(scripts/pg-throwaway.sh start)"   # starts one, exports DCB_PG_URL and DCB_PG_DIR
#   cargo test --release                      # the PostgreSQL tests now run
#   scripts/pg-throwaway.sh stop              # stops it and deletes its directory
#
# start: initdb + pg_ctl in a new temporary directory, as an unprivileged
#   user (the current one; when running as root, the `postgres` user if it
#   exists, else `nobody`), listening on 127.0.0.1 only (plus a Unix socket
#   inside the directory) on a free port, trust authentication (loopback,
#   throwaway). Prints `export DCB_PG_URL=...` and `export DCB_PG_DIR=...`
#   on stdout (everything else goes to stderr), so `eval` picks them up.
# stop [DIR]: stops the cluster in DIR (default $DCB_PG_DIR) immediately
#   and removes DIR. Safe to call twice, or when start failed half-way.
#
# Environment:
#   PG_BIN           directory with initdb/pg_ctl (default: newest /usr/lib/postgresql/*/bin)
#   DCB_PG_DURABLE=1 keep fsync on (default: off; a throwaway cluster needs no
#                    crash safety, and fsync off makes tests several times faster.
#                    The benchmark note says which setting it measured.)
# If no PostgreSQL server binaries are found and we are root, the script
# installs Debian's `postgresql` package (apt-get) first.
set -euo pipefail

log() { echo "pg-throwaway: $*" >&2; }

find_bin() {
    if [ -n "${PG_BIN:-}" ]; then
        echo "$PG_BIN"
        return
    fi
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$d" ] && command -v initdb >/dev/null 2>&1; then
        d=$(dirname "$(command -v initdb)")
    fi
    echo "$d"
}

ensure_bin() {
    local bin
    bin=$(find_bin)
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
        if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
            log "no PostgreSQL server binaries found; installing Debian's postgresql package"
            DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
            bin=$(find_bin)
        fi
    fi
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
        log "cannot find initdb/pg_ctl (set PG_BIN, or install PostgreSQL server binaries)"
        exit 1
    fi
    echo "$bin"
}

# Runs a command as the cluster's owner.
as_owner() {
    local owner=$1
    shift
    if [ "$owner" = "$(id -un)" ]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u "$owner" -- "$@"
    else
        su -s /bin/sh "$owner" -c "$(printf '%q ' "$@")"
    fi
}

pick_owner() {
    if [ "$(id -u)" -ne 0 ]; then
        id -un
    elif id postgres >/dev/null 2>&1; then
        echo postgres
    else
        echo nobody
    fi
}

port_free() {
    # Free when nothing accepts a TCP connection on it.
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
    local p tries=0
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 30000))
    while ! port_free "$p"; do
        tries=$((tries + 1))
        if [ "$tries" -gt 200 ]; then
            log "no free port found"
            exit 1
        fi
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 30000))
    done
    echo "$p"
}

start() {
    local bin owner dir port fsync
    bin=$(ensure_bin)
    owner=$(pick_owner)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/dcb-pg.XXXXXX")
    chmod 755 "$dir"
    chown "$owner" "$dir" 2>/dev/null || true
    log "initdb in $dir as $owner ($bin)"
    if ! as_owner "$owner" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        rm -rf "$dir"
        exit 1
    fi
    fsync=off
    if [ "${DCB_PG_DURABLE:-0}" = "1" ]; then fsync=on; fi
    local attempt
    for attempt in 1 2 3; do
        port=$(pick_port)
        log "starting on 127.0.0.1:$port (fsync=$fsync)"
        if as_owner "$owner" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=$fsync -c synchronous_commit=$fsync -c full_page_writes=$fsync" \
            start >&2; then
            echo "export DCB_PG_URL='postgresql://postgres@127.0.0.1:$port/postgres'"
            echo "export DCB_PG_DIR='$dir'"
            log "ready: DCB_PG_URL=postgresql://postgres@127.0.0.1:$port/postgres"
            return 0
        fi
        log "start attempt $attempt failed:"
        tail -n 20 "$dir/server.log" >&2 || true
    done
    rm -rf "$dir"
    exit 1
}

stop() {
    local dir=${1:-${DCB_PG_DIR:-}}
    if [ -z "$dir" ]; then
        log "stop: no directory given and DCB_PG_DIR is not set"
        exit 1
    fi
    if [ ! -d "$dir" ]; then
        return 0
    fi
    case "$dir" in
        */dcb-pg.*) ;;
        *) log "stop: refusing to remove $dir (not a dcb-pg.* directory)"; exit 1 ;;
    esac
    if [ -f "$dir/data/postmaster.pid" ]; then
        local bin owner
        bin=$(find_bin)
        owner=$(stat -c %U "$dir/data")
        as_owner "$owner" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || log "pg_ctl stop failed (already stopped?)"
    fi
    rm -rf "$dir"
    log "stopped and removed $dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop "${2:-}" ;;
    *)
        echo "usage: $0 start | stop [DIR]" >&2
        exit 2
        ;;
esac
