#!/usr/bin/env bash
# Spool's benchmarks, run by `make bench` after `swift build -c release`.
#
# Prints the machine, then one section per part of the system. Each section is a function
# below; add a section (server, views, …) by writing `section_<name>` and adding <name> to
# SECTIONS. Results: readable tables on the terminal, and every configuration's JSON line
# collected in $OUT/<section>.jsonl.
#
# Environment (all optional):
#   SECTIONS             sections to run, in order            (default: "storage server views consume emails";
#                        also "target": issue 2's target, raw and log alternated TARGET_ROUNDS (5) times)
#   SPOOL_BENCH          the spool-bench binary               (default: .build/release/spool-bench)
#   BENCH_DIR            where data directories are created   (default: $TMPDIR or /tmp)
#   BENCH_EVENTS         events per append configuration      (default: 1000000)
#   BENCH_SECONDS        time cap per append configuration    (default: 20)
#   BENCH_VIEW_EVENTS    events of the views history          (default: 1000000)
#   BENCH_VIEW_USERS     users of the views history           (default: 100000)
#   BENCH_BACKLOG        events of the consume backlog        (default: 1000000)
#   BENCH_EMAIL_USERS    new users for the email projector    (default: 100000)
#   OUT                  where the JSON lines go               (default: a new temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."

SECTIONS=${SECTIONS:-storage server views consume emails}
SPOOL_BENCH=${SPOOL_BENCH:-.build/release/spool-bench}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}}
BENCH_EVENTS=${BENCH_EVENTS:-1000000}
BENCH_SECONDS=${BENCH_SECONDS:-20}
BENCH_VIEW_EVENTS=${BENCH_VIEW_EVENTS:-1000000}
BENCH_VIEW_USERS=${BENCH_VIEW_USERS:-100000}
BENCH_BACKLOG=${BENCH_BACKLOG:-1000000}
BENCH_EMAIL_USERS=${BENCH_EMAIL_USERS:-100000}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/spool-bench-results.XXXXXX")}
mkdir -p "$BENCH_DIR" "$OUT"

title() { printf '\n== %s\n\n' "$*"; }

# Shows a benchmark's output from stdin and keeps its JSON lines in $OUT/$section.jsonl.
keep_results() {
    while IFS= read -r line; do
        case $line in
        '{'*) echo "$line" >>"$OUT/$section.jsonl" ;;
        '') ;;
        *) echo "$line" ;;
        esac
    done
    echo
}

# Runs `$SPOOL_BENCH "$@"` through keep_results.
bench() {
    echo "\$ spool-bench $*"
    "$SPOOL_BENCH" "$@" --dir "$BENCH_DIR" | keep_results
}

# Warns when rows of $1 (JSON lines) shared the CPU with other processes (others % > 20).
warn_if_busy() {
    python3 - "$1" <<'EOF'
import json, sys
busy = [r for r in map(json.loads, open(sys.argv[1])) if r.get("others_cpu_percent", 0) > 20]
if busy:
    print(f"warning: {len(busy)} row(s) shared the CPU with other processes (others % > 20); "
          "their figures are low — rerun on a quiet machine")
EOF
}

machine() {
    title "machine"
    local source fstype disk
    source=$(findmnt -no SOURCE -T "$BENCH_DIR" 2>/dev/null || df -P "$BENCH_DIR" | awk 'NR == 2 { print $1 }')
    fstype=$(findmnt -no FSTYPE -T "$BENCH_DIR" 2>/dev/null || stat -f -c %T "$BENCH_DIR")
    disk=$(lsblk -no PKNAME "$source" 2>/dev/null | head -1)
    disk=${disk:-$(basename "$source")}
    echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cores:    $(nproc)"
    echo "cpu:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "memory:   $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel:   $(uname -r)"
    echo "data dir: $BENCH_DIR on $source ($fstype)"
    echo "disk:     /dev/$disk, $(lsblk -dno SIZE "/dev/$disk" 2>/dev/null | sed 's/ //g') bytes," \
        "model '$(cat "/sys/block/$disk/device/model" 2>/dev/null | sed 's/ *$//')'," \
        "driver $(basename "$(readlink -f "/sys/block/$disk/device/driver" 2>/dev/null)" 2>/dev/null)," \
        "rotational flag $(cat "/sys/block/$disk/queue/rotational" 2>/dev/null)," \
        "scheduler $(cat "/sys/block/$disk/queue/scheduler" 2>/dev/null)"
    echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
    echo "binary:   $SPOOL_BENCH"
}

# Storage: raw LMDB ceiling, then durable appends through the engine (issue 2's target:
# at 64 submitters, at least 50% of raw MDB_APPEND with commits of 1,000).
section_storage() {
    title "storage: raw LMDB MDB_APPEND, 250-byte values (the ceiling)"
    bench raw --events 1000000 --batch 1000 --index-streams 0,100000
    bench raw --events 200000 --batch 10,100
    title "storage: raw LMDB shaped like Spool's log: 410-byte records + one streams-index put per event"
    echo "(256 streams = 64 submitters x 4 own streams; 100000 = random users; batches as Spool forms them at window 1 and 16)"
    bench raw --events 200000 --batch 32,512 --value-size 410 --index-streams 256,100000
    echo "(4,096 without the index: the writer's largest commit, which appends of many events fill, each with one index put)"
    bench raw --events 1000000 --batch 4096 --value-size 410 --index-streams 0
    title "storage: durable appends through Engine.append (log + inline views)"
    bench append --events "$BENCH_EVENTS" --seconds "$BENCH_SECONDS" --submitters 1,16,64 --window 1,16 --streams own,random
    title "storage: the log alone (Writer without views), 64 submitters"
    bench append --events "$BENCH_EVENTS" --seconds "$BENCH_SECONDS" --submitters 64 --window 1,16 --streams own,random --layer log
    title "storage: batched appends (16 and 64 events per append), 64 submitters x window 4"
    bench append --events "$BENCH_EVENTS" --seconds "$BENCH_SECONDS" --submitters 64 --window 4 --per-append 16,64 --streams own,random --layer log,engine
    title "storage: summary"
    python3 - "$OUT/storage.jsonl" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def raw_rate(batch, index, size):
    return max((r["events_per_s"] for r in rows if r["bench"] == "raw" and r["batch"] == batch
                and r["index_streams"] == index and r["value_bytes"] == size), default=0)
raw = raw_rate(1000, 0, 250)
print(f"raw MDB_APPEND, commits of 1,000: {raw:,} events/s; issue 2's target at 64 submitters: >= {raw // 2:,} events/s (50%)")
print("64 submitters:                                       events/s   of raw   of raw shaped like it (index, batch)")
for r in rows:
    if r["bench"] == "append" and r["submitters"] == 64:
        per_append = r.get("events_per_append", 1)
        if per_append > 1:
            shaped = raw_rate(4096, 0, 410)
        else:
            shaped = raw_rate(32 if r["window"] == 1 else 512, 256 if r["streams"] == "own" else 100000, 410)
        share = 100 * r["events_per_s"] / raw if raw else 0
        shaped_share = f"{100 * r['events_per_s'] / shaped:5.1f}% of {shaped:,}" if shaped else "-"
        print(f"  {r['layer']:6} {r['streams']:6} streams, window {r['window']:2}, {per_append:2} per append: {r['events_per_s']:>9,}   {share:5.1f}%   {shaped_share}")
EOF
    warn_if_busy "$OUT/storage.jsonl"
}

# Issue 2's target, pair by pair: raw MDB_APPEND (commits of 1,000) and the log at 64
# submitters x window 4, 64 events per append, alternated TARGET_ROUNDS times (5), each pair's
# share and the median. On a machine whose speed moves within minutes, a pair run back to back
# is a fairer verdict than the best raw run of a section against a later append run.
section_target() {
    title "storage: issue 2's target, raw and log alternated ${TARGET_ROUNDS:-5} times"
    local round
    for round in $(seq "${TARGET_ROUNDS:-5}"); do
        bench raw --events 1000000 --batch 1000
        bench append --events "$BENCH_EVENTS" --seconds "$BENCH_SECONDS" --submitters 64 --window 4 --per-append 64 --streams own --layer log
    done
    python3 - "$OUT/target.jsonl" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
raws = [r["events_per_s"] for r in rows if r["bench"] == "raw"]
logs = [r["events_per_s"] for r in rows if r["bench"] == "append"]
shares = [100 * log / raw for raw, log in zip(raws, logs)]
for raw, log, share in zip(raws, logs, shares):
    print(f"raw {raw:>9,}   log {log:>9,}   {share:5.1f}%")
if shares:
    print(f"median share {statistics.median(shares):.1f}% (target: at least 50%); met in {sum(s >= 50 for s in shares)} of {len(shares)} pairs")
EOF
    warn_if_busy "$OUT/target.jsonl"
}

# Server: spoold over TCP, with the same loads against Redis 7 in the same run (issues 4 and 5).
# Durable appends (1, 8, 64 connections x window 1, 32, and 64 x 8 with 16 events per append;
# Redis: XADD, or 16 XADDs in MULTI/EXEC, with appendonly yes + appendfsync always), consume throughput from a 1,000,000-event backlog (fetch + ack of 100
# and 1000; Redis: XREADGROUP + XACK), and append-ack -> delivery latency. Targets: Spool >=
# Redis appends at 64 x 32, and Spool >= Redis consume throughput. Builds nothing (`make bench`
# builds release); installs redis-server when missing. Both servers run on free loopback
# ports with data in fresh directories under $BENCH_DIR and are stopped on exit.
# Environment: SPOOL_LOAD (.build/release/spool-load), SPOOLD (.build/release/spoold),
# SERVER_EVENTS (200000 appends per configuration; 20000 at 1 x 1), SERVER_SECONDS (20, cap
# per configuration), BENCH_BACKLOG (1000000), SERVER_SPOOLD_FLAGS (--no-emails: the email
# projector off, so both servers do the same work; set it empty to measure spoold as shipped),
# SERVER_PARTS (which parts to run: "append consume latency"; also "compare": SPOOLD_BASELINE,
# another spoold binary, and SPOOLD alternated COMPARE_ROUNDS times (3) at 64 x 32, a fresh
# server each run, so that two builds are compared under the same background load).
section_server() {
    local load=${SPOOL_LOAD:-.build/release/spool-load} spoold=${SPOOLD:-.build/release/spoold}
    local events=${SERVER_EVENTS:-200000} seconds=${SERVER_SECONDS:-20} backlog=${BENCH_BACKLOG:-1000000}
    local flags=${SERVER_SPOOLD_FLAGS---no-emails}
    local binary
    for binary in "$load" "$spoold"; do
        [ -x "$binary" ] || { echo "bench.sh: $binary is missing; build it with: swift build -c release" >&2; return 1; }
    done
    if ! command -v redis-server >/dev/null; then
        [ "$(id -u)" = 0 ] || { echo "bench.sh: redis-server is missing: sudo apt-get install -y redis-server" >&2; return 1; }
        echo "installing redis-server"
        apt-get install -y -qq redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }
    fi
    SERVER_PIDS=()
    trap 'server_stop_all' EXIT

    local parts=" ${SERVER_PARTS:-append consume latency} "
    if [[ $parts == *" append "* ]]; then
        title "server: durable appends over TCP, spoold vs redis-server (appendonly yes, appendfsync always)"
        echo "spoold $flags; $(redis-server --version | cut -d' ' -f1-3)"
        server_start_spoold "$spoold" $flags
        server_start_redis
        local connections window count
        for connections in 1 8 64; do
            for window in 1 32; do
                count=$events
                [ "$connections" = 1 ] && [ "$window" = 1 ] && count=$((events / 10))
                # Alternate the two servers per configuration so both see the same background load.
                load_run "$load" spool-append --port "$SPOOLD_PORT" --server-pid "$SPOOLD_PID" \
                    --connections "$connections" --window "$window" --events "$count" --seconds "$seconds"
                load_run "$load" redis-xadd --port "$REDIS_PORT" --server-pid "$REDIS_PID" \
                    --connections "$connections" --window "$window" --events "$count" --seconds "$seconds"
            done
        done
        # Appends of 16 events each (Redis: 16 XADDs in one MULTI/EXEC), 64 x 8.
        load_run "$load" spool-append --port "$SPOOLD_PORT" --server-pid "$SPOOLD_PID" \
            --connections 64 --window 8 --per-append 16 --events "$events" --seconds "$seconds"
        load_run "$load" redis-xadd --port "$REDIS_PORT" --server-pid "$REDIS_PID" \
            --connections 64 --window 8 --per-append 16 --events "$events" --seconds "$seconds"
        server_stop_all
    fi
    if [[ $parts == *" compare "* ]]; then
        server_compare "$load" "$spoold" "$events" "$seconds" $flags
    fi
    if [[ $parts == *" consume "* || $parts == *" latency "* ]]; then
        server_start_spoold "$spoold" $flags
        server_start_redis
    fi
    if [[ $parts == *" consume "* ]]; then
        title "server: consume a backlog of $backlog events (fetch + ack vs XREADGROUP + XACK), fresh servers"
        load_run "$load" spool-consume --port "$SPOOLD_PORT" --server-pid "$SPOOLD_PID" --preload "$backlog" --batch 100,1000 --seconds 60
        load_run "$load" redis-consume --port "$REDIS_PORT" --server-pid "$REDIS_PID" --preload "$backlog" --batch 100,1000 --seconds 60
    fi
    if [[ $parts == *" latency "* ]]; then
        title "server: append acknowledgement -> delivery to a waiting consumer (1000 appends/s)"
        load_run "$load" spool-latency --port "$SPOOLD_PORT" --server-pid "$SPOOLD_PID" --events 10000 --rate 1000
    fi
    server_stop_all
    trap - EXIT
    [ -f "$OUT/server.jsonl" ] || return 0  # only the compare part ran; it printed its summary

    title "server: summary"
    python3 - "$OUT/server.jsonl" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def pick(bench, server, per_append=1, **match):
    found = [r for r in rows if r["bench"] == bench and r["server"] == server and r.get("events_per_append", 1) == per_append
             and all(r.get(k) == v for k, v in match.items())]
    return found[-1] if found else None
print("appends       connections x window   spool events/s   redis events/s   spool/redis")
for c in (1, 8, 64):
    for w in (1, 32):
        s, r = pick("append", "spool", connections=c, window=w), pick("append", "redis", connections=c, window=w)
        if s and r:
            mark = "   <- target: >= 100%" if (c, w) == (64, 32) else ""
            print(f"              {c:>3} x {w:<2}               {s['events_per_s']:>14,}   {r['events_per_s']:>14,}   {100 * s['events_per_s'] / r['events_per_s']:9.1f}%{mark}")
s, r = pick("append", "spool", 16, connections=64, window=8), pick("append", "redis", 16, connections=64, window=8)
if s and r:
    print(f"               64 x 8, 16 per append  {s['events_per_s']:>14,}   {r['events_per_s']:>14,}   {100 * s['events_per_s'] / r['events_per_s']:9.1f}%   (Redis: MULTI/EXEC)")
print("consume       batch                  spool events/s   redis events/s   spool/redis (target: >= 100%)")
for b in (100, 1000):
    s, r = pick("consume", "spool", batch=b), pick("consume", "redis", batch=b)
    if s and r:
        print(f"              {b:<5}                  {s['events_per_s']:>14,}   {r['events_per_s']:>14,}   {100 * s['events_per_s'] / r['events_per_s']:9.1f}%")
lat = pick("latency", "spool")
if lat:
    print(f"latency       ack -> {lat['delivery']} delivery: p50 {lat['ack_to_delivery_p50_ms']:.3f} ms, p99 {lat['ack_to_delivery_p99_ms']:.3f} ms"
          + ("" if lat["delivery"] == "push" else " (no subscribe op: a long-polling fetch)"))
PY
    warn_if_busy "$OUT/server.jsonl"
}

# The compare part: SPOOLD_BASELINE and spoold $2 alternated at 64 x 32, each run on a fresh
# server; the JSON lines go to $OUT/server-baseline.jsonl and $OUT/server-current.jsonl.
server_compare() {
    local load=$1 current=$2 events=$3 seconds=$4 round name binary
    shift 4
    [ -x "${SPOOLD_BASELINE:-}" ] || { echo "bench.sh: SERVER_PARTS=compare needs SPOOLD_BASELINE, another spoold binary" >&2; return 1; }
    title "server: $SPOOLD_BASELINE (baseline) against $current, alternated at 64 x 32"
    for round in $(seq "${COMPARE_ROUNDS:-3}"); do
        for name in baseline current; do
            binary=$current
            [ "$name" = baseline ] && binary=$SPOOLD_BASELINE
            local section=server-$name  # where keep_results puts the JSON lines
            server_start_spoold "$binary" "$@"
            load_run "$load" spool-append --port "$SPOOLD_PORT" --server-pid "$SPOOLD_PID" \
                --connections 64 --window 32 --events "$events" --seconds "$seconds"
            server_stop_all
        done
    done
    title "server: compare summary"
    python3 - "$OUT/server-baseline.jsonl" "$OUT/server-current.jsonl" <<'PY'
import json, sys
for name, path in zip(("baseline", "current"), sys.argv[1:]):
    rows = [json.loads(line) for line in open(path)]
    rates = " · ".join(f"{r['events_per_s']:,}" for r in rows)
    cpu = " · ".join(f"{r['server_cpu_us_per_event']:.1f}" for r in rows)
    print(f"{name:8}  events/s {rates}   server CPU us/event {cpu}")
    def split(threads):
        loops = sum(v for k, v in threads.items() if k.startswith("NIO-ELT"))
        writer = threads.get("spool-writer", 0)
        return f"{loops:.1f}+{writer:.1f}"
    print(f"{'':8}  of which event loops + writer: {' · '.join(split(r.get('server_threads_cpu_us_per_event', {})) for r in rows)}")
PY
    warn_if_busy "$OUT/server-baseline.jsonl"
    warn_if_busy "$OUT/server-current.jsonl"
}

# Runs spool-load through keep_results; a run that hangs is stopped after 5 minutes.
load_run() {
    local binary=$1
    shift
    echo "\$ spool-load $*"
    timeout 300 "$binary" "$@" | keep_results
}

# Starts spoold on a free loopback port with a fresh data directory: sets SPOOLD_PORT, SPOOLD_PID.
server_start_spoold() {
    local binary=$1 dir
    shift
    dir=$(mktemp -d "$BENCH_DIR/spool-server-bench.XXXXXX")
    "$binary" --listen 127.0.0.1:0 --data "$dir/data" "$@" >"$dir/spoold.log" 2>&1 &
    SPOOLD_PID=$!
    SERVER_PIDS+=("$SPOOLD_PID:$dir")
    for _ in $(seq 100); do
        SPOOLD_PORT=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$dir/spoold.log" | head -1 | cut -d: -f2 || true)
        [ -n "$SPOOLD_PORT" ] && return 0
        sleep 0.1
    done
    echo "bench.sh: spoold did not start:" >&2
    cat "$dir/spoold.log" >&2
    return 1
}

# Starts redis-server on a free loopback port, durable like spoold (every write fsynced before
# the reply), with a fresh directory: sets REDIS_PORT, REDIS_PID.
server_start_redis() {
    local dir
    dir=$(mktemp -d "$BENCH_DIR/redis-server-bench.XXXXXX")
    REDIS_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --appendonly yes --appendfsync always --save '' \
        --dir "$dir" --daemonize no >"$dir/redis.log" 2>&1 &
    REDIS_PID=$!
    SERVER_PIDS+=("$REDIS_PID:$dir")
    for _ in $(seq 100); do
        grep -q 'Ready to accept connections' "$dir/redis.log" && return 0
        sleep 0.1
    done
    echo "bench.sh: redis-server did not start:" >&2
    cat "$dir/redis.log" >&2
    return 1
}

# Stops every server this section started (SIGTERM, then waits) and removes their directories.
server_stop_all() {
    local entry
    for entry in "${SERVER_PIDS[@]}"; do
        kill "${entry%%:*}" 2>/dev/null || true
        wait "${entry%%:*}" 2>/dev/null || true
        rm -rf "${entry#*:}"
    done
    SERVER_PIDS=()
}

# Views (issue 3), in-process: the cost of inline projection (the same history appended
# through a bare Writer and through Engine.append), rebuild throughput (target >= 1,000,000
# events/s) and view query latency (target: as-of get_user p99 < 1 ms). About a minute at
# 1,000,000 events.
section_views() {
    title "views: $BENCH_VIEW_EVENTS events over $BENCH_VIEW_USERS users: inline projection, rebuild, queries (in-process)"
    bench views --events "$BENCH_VIEW_EVENTS" --users "$BENCH_VIEW_USERS" --rebuilds 3
    title "views: summary"
    python3 - "$OUT/views.jsonl" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
fill = {r["layer"]: r for r in rows if r["bench"] == "views-fill"}
if "log" in fill and "engine" in fill:
    share = 100 * fill["engine"]["events_per_s"] / fill["log"]["events_per_s"]
    print(f"inline views: {fill['engine']['events_per_s']:,} events/s with views, {fill['log']['events_per_s']:,} for the log alone ({share:.0f}%)")
rebuilds = sorted(r["events_per_s"] for r in rows if r["bench"] == "views-rebuild")
if rebuilds:
    median = rebuilds[len(rebuilds) // 2]
    verdict = "met" if median >= 1_000_000 else "NOT met"
    print(f"rebuild, all views: median {median:,} events/s of {len(rebuilds)} runs; target >= 1,000,000: {verdict}")
asof = [r for r in rows if r["bench"] == "views-query" and r["query"].startswith("get_user as of")]
if asof:
    worst = max(r["latency_p99_us"] for r in asof)
    print(f"as-of get_user p99: {worst:,.1f} us; target < 1,000 us: {'met' if worst < 1000 else 'NOT met'}")
EOF
    warn_if_busy "$OUT/views.jsonl"
}

# Subscriptions (issue 5), in-process: consume throughput from a backlog (fetch batches +
# ack) and the long poll's wake latency. The TCP figures and the Redis peer are elsewhere.
section_consume() {
    title "consume: a backlog of $BENCH_BACKLOG events through one subscription (in-process)"
    bench consume --backlog "$BENCH_BACKLOG" --batch 100,1000 --consumers 1,4
}

# Email projector (issue 6), in-process: generation throughput on new users, then the lag
# from a UserCreated's acknowledgement to its EmailGenerated being readable.
section_emails() {
    title "emails: the email projector on $BENCH_EMAIL_USERS new users (in-process)"
    bench emails --users "$BENCH_EMAIL_USERS" --rate 500,1000,2000
}

[ -x "$SPOOL_BENCH" ] || { echo "bench.sh: $SPOOL_BENCH is missing; build it with: swift build -c release --product spool-bench" >&2; exit 1; }
machine
for section in $SECTIONS; do
    "section_$section"
done
echo
echo "JSON lines: $OUT"
