# Spool's server benchmarks, sourced by tools/bench.sh (which defines `title`, `keep_results`,
# `warn_if_busy`, `OUT` and `BENCH_DIR`): spoold over TCP against Redis 7, and the helpers
# that start and stop both servers.

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
# server each run, so that two builds are compared under the same background load; and
# "target": spoold and Redis alternated SERVER_ROUNDS times (5) at 64 x 32, fresh servers, each
# pair's ratio and their median (both parts label each spoold run by the machine's cross-core
# round trip before and after it: `cross_core_mode`; SERVER_LOAD_FLAGS, more `spool-load` options
# for both parts' runs, e.g. --changing-attributes); "instructions": spoold's instructions per append at 64 x
# 32, counted per thread by valgrind, for SPOOLD_BASELINE when set and SPOOLD; and "profile":
# where its time goes, sampled by perf, PROFILE_ROUNDS times (3)).
section_server() {
    local load=${SPOOL_LOAD:-.build/release/spool-load} spoold=${SPOOLD:-.build/release/spoold}
    local events=${SERVER_EVENTS:-200000} seconds=${SERVER_SECONDS:-20} backlog=${BENCH_BACKLOG:-1000000}
    local flags=${SERVER_SPOOLD_FLAGS---no-emails}
    local binary
    for binary in "$load" "$spoold"; do
        [ -x "$binary" ] || { echo "bench.sh: $binary is missing; build it with: swift build -c release --experimental-lto-mode=thin --static-swift-stdlib" >&2; return 1; }
    done
    install_missing redis-server redis-server || return 1
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
    if [[ $parts == *" target "* ]]; then
        server_target "$load" "$spoold" "$events" "$seconds" $flags
    fi
    if [[ $parts == *" instructions "* ]]; then
        server_instructions "$load" "$spoold" $flags
    fi
    if [[ $parts == *" profile "* ]]; then
        server_profile "$load" "$spoold" "$events" "$seconds" $flags
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
    [ -f "$OUT/server.jsonl" ] || return 0  # only compare or target ran; each printed its summary

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
    local load=$1 current=$2 events=$3 seconds=$4 round name binary before
    shift 4
    [ -x "${SPOOLD_BASELINE:-}" ] || { echo "bench.sh: SERVER_PARTS=compare needs SPOOLD_BASELINE, another spoold binary" >&2; return 1; }
    title "server: $SPOOLD_BASELINE (baseline) against $current, alternated at 64 x 32"
    : >"$OUT/server-compare-cross-core.txt"
    for round in $(seq "${COMPARE_ROUNDS:-3}"); do
        for name in baseline current; do
            binary=$current
            [ "$name" = baseline ] && binary=$SPOOLD_BASELINE
            local section=server-$name  # where keep_results puts the JSON lines
            before=$(cross_core_round_trip)
            server_start_spoold "$binary" "$@"
            load_run "$load" spool-append --port "$SPOOLD_PORT" --server-pid "$SPOOLD_PID" \
                --connections 64 --window 32 --events "$events" --seconds "$seconds" ${SERVER_LOAD_FLAGS:-}
            server_stop_all
            echo "$name $(cross_core_mode "$before" "$(cross_core_round_trip)")" >>"$OUT/server-compare-cross-core.txt"
        done
    done
    title "server: compare summary"
    python3 - "$OUT/server-baseline.jsonl" "$OUT/server-current.jsonl" "$OUT/server-compare-cross-core.txt" <<'PY'
import json, statistics, sys
modes = {"baseline": [], "current": []}
for line in open(sys.argv[3]):
    name, _, _, mode = line.split()
    modes[name].append(mode)
for name, path in zip(("baseline", "current"), sys.argv[1:3]):
    rows = [json.loads(line) for line in open(path)]
    for mode in ("near", "far"):
        group = [r["events_per_s"] for r, m in zip(rows, modes[name]) if m == mode]
        if group:
            print(f"{name:8}  CPUs {mode}: median {statistics.median(group):,.0f} events/s in {len(group)} runs")
    rates = " · ".join(f"{r['events_per_s']:,}" for r in rows)
    cpu = " · ".join(f"{r['server_cpu_us_per_event']:.1f}" for r in rows)
    print(f"{name:8}  events/s {rates}   server CPU us/event {cpu}")
    def split(threads, digits=1):
        loops = sum(v for k, v in threads.items() if k.startswith("NIO-ELT"))
        writer = threads.get("spool-writer", 0)
        return f"{loops:.{digits}f}+{writer:.{digits}f}"
    print(f"{'':8}  of which event loops + writer: {' · '.join(split(r.get('server_threads_cpu_us_per_event', {})) for r in rows)}")
    print(f"{'':8}  waiting for a core, % of the run, loops + writer: {' · '.join(split(r.get('server_threads_runqueue_percent', {}), 0) for r in rows)}")
PY
    warn_if_busy "$OUT/server-baseline.jsonl"
    warn_if_busy "$OUT/server-current.jsonl"
}

# The target part: issue 4's target (Spool >= Redis at 64 x 32) pair by pair, a fresh spoold
# then a fresh redis-server SERVER_ROUNDS times (5), so that both see the same background load;
# the JSON lines go to $OUT/server-target-spool.jsonl and $OUT/server-target-redis.jsonl. The
# machine's cross-core round trip (`spool-bench cross-core`) is taken before and after each
# spoold run: on a virtual machine whose host moves its two CPUs apart (~60 ns near, 340-740
# ns far), spoold's two threads slow down and single-threaded Redis does not, so the summary
# gives the median of the pairs run near and of those run far as well.
server_target() {
    local load=$1 spoold=$2 events=$3 seconds=$4 round section before
    shift 4
    title "server: issue 4's target, spoold and redis-server alternated ${SERVER_ROUNDS:-5} times at 64 x 32"
    : >"$OUT/server-target-cross-core.txt"
    for round in $(seq "${SERVER_ROUNDS:-5}"); do
        section=server-target-spool  # where keep_results puts the JSON lines
        before=$(cross_core_round_trip)
        server_start_spoold "$spoold" "$@"
        load_run "$load" spool-append --port "$SPOOLD_PORT" --server-pid "$SPOOLD_PID" \
            --connections 64 --window 32 --events "$events" --seconds "$seconds" ${SERVER_LOAD_FLAGS:-}
        server_stop_all
        cross_core_mode "$before" "$(cross_core_round_trip)" >>"$OUT/server-target-cross-core.txt"
        section=server-target-redis
        server_start_redis
        load_run "$load" redis-xadd --port "$REDIS_PORT" --server-pid "$REDIS_PID" \
            --connections 64 --window 32 --events "$events" --seconds "$seconds" ${SERVER_LOAD_FLAGS:-}
        server_stop_all
    done
    title "server: target summary"
    python3 - "$OUT/server-target-spool.jsonl" "$OUT/server-target-redis.jsonl" "$OUT/server-target-cross-core.txt" <<'PY'
import json, statistics, sys
spool, redis = ([json.loads(line) for line in open(path)] for path in sys.argv[1:3])
probes = [line.split() for line in open(sys.argv[3])]  # before, after (ns), mode
shares = [100 * s["events_per_s"] / r["events_per_s"] for s, r in zip(spool, redis)]
for s, r, share, probe in zip(spool, redis, shares, probes):
    print(f"spoold {s['events_per_s']:>9,} ({s['server_cpu_us_per_event']:.1f} us/event)   "
          f"redis {r['events_per_s']:>9,} ({r['server_cpu_us_per_event']:.1f} us/event)   {share:5.1f}%   "
          f"cross-core {probe[0]}/{probe[1]} ns")
print(f"median {statistics.median(shares):.1f}% of Redis (target: >= 100%); met in {sum(x >= 100 for x in shares)} of {len(shares)} pairs")
for mode in ("near", "far"):
    group = [share for share, probe in zip(shares, probes) if probe[2] == mode]
    if group:
        print(f"  CPUs {mode} (cross_core_mode): median {statistics.median(group):.1f}% in {len(group)} pairs, "
              f"met in {sum(x >= 100 for x in group)}")
PY
    warn_if_busy "$OUT/server-target-spool.jsonl"
    warn_if_busy "$OUT/server-target-redis.jsonl"
}

# The instructions part: the instructions the event loop and the writer spend per append at 64
# x 32 (INSTRUCTION_EVENTS appends, 20000), counted by valgrind's callgrind for SPOOLD_BASELINE
# (when set) and SPOOLD: a measure that does not swing with the machine, for changes too small
# for the pairs to see. SHA-256 is left out: valgrind runs it without the CPU's SHA
# instructions, and who takes a record's content digest moves with the commits' sizes. Installs
# valgrind when missing.
server_instructions() {
    local load=$1 spoold=$2 events=${INSTRUCTION_EVENTS:-20000} binary dir
    shift 2
    install_missing valgrind valgrind || return 1
    title "server: instructions per append at 64 x 32 ($events appends, callgrind, SHA-256 left out)"
    for binary in ${SPOOLD_BASELINE:-} "$spoold"; do
        dir=$(mktemp -d "$BENCH_DIR/spool-instructions.XXXXXX")
        objcopy --strip-debug "$binary" "$dir/spoold"  # valgrind reads a stripped binary much faster
        SPOOLD_RUNNER="valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file=$dir/cg" \
            server_start_spoold "$dir/spoold" "$@"
        timeout 600 "$load" spool-append --port "$SPOOLD_PORT" --connections 64 --window 32 --events "$events" >/dev/null
        server_stop_all  # a graceful stop: callgrind writes its counts as spoold exits
        python3 - "$binary" "$events" "$dir"/cg-* <<'PY'
import re, subprocess, sys
binary, events, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
threads = {}
for path in files:
    text = open(path, errors="replace").read()
    role = "writer" if "WriterC6commit" in text else "event loop" if "DispatcherC6decode" in text else None
    if role is None:
        continue
    report = subprocess.run(["callgrind_annotate", "--threshold=100", path], capture_output=True, text=True).stdout
    counts = [(int(m.group(1).replace(",", "")), line) for line in report.splitlines() if (m := re.match(r"\s*([\d,]+) ", line))]
    total = next(n for n, line in counts if "PROGRAM TOTALS" in line)
    sha = sum(n for n, line in counts if "libcrypto" in line)
    threads[role] = threads.get(role, 0) + (total - sha) / events
print(f"{binary}: " + ", ".join(f"{role} {count:,.0f}" for role, count in sorted(threads.items())) + " instructions per append")
PY
        rm -rf "$dir"
    done
}

# The profile part: where spoold's time goes at 64 x 32, sampled by `perf record` (CPU clock,
# 2,000 samples a second) over PROFILE_ROUNDS runs (3) of a fresh server, each labelled by the
# cross-core probe: per thread, its share of the samples, the kernel's part of it and the
# functions above 1.5% of all samples. Time where `instructions` counts instructions: it shows
# the kernel's work (socket and page cache copies) and stalls, which swing with the machine
# (BENCHMARKS.md, "twenty-seventh session").
server_profile() {
    local load=$1 spoold=$2 events=$3 seconds=$4 round before dir perf_pid
    shift 4
    command -v perf >/dev/null || { echo "bench.sh: SERVER_PARTS=profile needs perf (apt-get install linux-perf)" >&2; return 1; }
    title "server: where spoold's time goes at 64 x 32 (perf, ${PROFILE_ROUNDS:-3} runs)"
    for round in $(seq "${PROFILE_ROUNDS:-3}"); do
        local section=server-profile  # where keep_results puts the JSON lines
        before=$(cross_core_round_trip)
        server_start_spoold "$spoold" "$@"
        dir=$(mktemp -d "$BENCH_DIR/spool-profile.XXXXXX")
        perf record -F 2000 -p "$SPOOLD_PID" -o "$dir/perf.data" >/dev/null 2>&1 &
        perf_pid=$!
        load_run "$load" spool-append --port "$SPOOLD_PORT" --server-pid "$SPOOLD_PID" \
            --connections 64 --window 32 --events "$events" --seconds "$seconds"
        kill -INT "$perf_pid" 2>/dev/null || true
        wait "$perf_pid" 2>/dev/null || true  # perf stopped by a signal
        server_stop_all
        echo "run $round, cross-core $(cross_core_mode "$before" "$(cross_core_round_trip)")"
        perf report -i "$dir/perf.data" --sort comm,dso,sym --stdio 2>/dev/null | python3 -c '
import re, subprocess, sys
rows = [m.groups() for line in sys.stdin if (m := re.match(r"\s*([\d.]+)%\s+(\S+)\s+(\S+)\s+\[(.)\]\s+(.+)", line))]
names = [r[4] for r in rows]
try:  # Swift names demangled when the toolchain is on the PATH
    demangled = subprocess.run(["swift-demangle", "--simplified", "--compact"], input="\n".join(names),
                               capture_output=True, text=True).stdout.splitlines()
    names = demangled if len(demangled) == len(names) else names
except OSError:
    pass
threads = {}
for (share, thread, _, space, _), name in zip(rows, names):
    entry = threads.setdefault(thread, [0.0, 0.0, []])
    entry[0] += float(share)
    entry[1] += float(share) if space == "k" else 0.0
    if float(share) >= 1.5:
        entry[2].append(f"    {float(share):5.1f}%  {name[:110]}")
for thread, (total, kernel, top) in sorted(threads.items(), key=lambda item: -item[1][0]):
    if total >= 1:
        print(f"  {thread}: {total:.1f}% of the samples, {kernel:.1f}% in the kernel")
        print("\n".join(top))
'
        rm -rf "$dir"
    done
}

# The machine's cross-core round trip in ns (`spool-bench cross-core`), or -1 if it failed.
cross_core_round_trip() {
    "$SPOOL_BENCH" cross-core --round-trips 100000 | python3 -c 'import json, sys; print(json.loads(sys.stdin.read().splitlines()[-1])["round_trip_ns"])' 2>/dev/null || echo -1
}

# Prints "$1 $2 MODE" for a run between cross-core round trips $1 and $2 (ns): near when both
# are below 150 ns (CPUs sharing a cache take ~60), far when both are 150 or more (340-740 when
# the host runs them far apart), mixed when the machine changed during the run or a probe failed.
cross_core_mode() {
    local mode=mixed
    if [ "$1" -ge 0 ] && [ "$2" -ge 0 ] && [ "$1" -lt 150 ] && [ "$2" -lt 150 ]; then
        mode=near
    elif [ "$1" -ge 150 ] && [ "$2" -ge 150 ]; then
        mode=far
    fi
    echo "$1 $2 $mode"
}

# Installs the Debian package $2 when the command $1 is missing (as root; otherwise says how
# and fails).
install_missing() {
    local command=$1 package=$2
    command -v "$command" >/dev/null && return 0
    [ "$(id -u)" = 0 ] || { echo "bench.sh: $command is missing: sudo apt-get install -y $package" >&2; return 1; }
    echo "installing $package"
    apt-get install -y -qq "$package" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$package" >/dev/null; }
}

# Runs spool-load through keep_results; a run that hangs is stopped after 5 minutes.
load_run() {
    local binary=$1
    shift
    echo "\$ spool-load $*"
    timeout 300 "$binary" "$@" | keep_results
}

# Starts spoold on a free loopback port with a fresh data directory: sets SPOOLD_PORT, SPOOLD_PID.
# SPOOLD_RUNNER, when set, is a command spoold runs under (valgrind); it may take a minute to listen.
# No per-connection rate limit (Redis has none): one connection with 32 appends in flight goes
# past the default 50,000 requests per second.
server_start_spoold() {
    local binary=$1 dir
    shift
    dir=$(mktemp -d "$BENCH_DIR/spool-server-bench.XXXXXX")
    # shellcheck disable=SC2086 # the runner is a command and its arguments, split on purpose
    ${SPOOLD_RUNNER:-} "$binary" --listen 127.0.0.1:0 --data "$dir/data" --requests-per-second 0 "$@" >"$dir/spoold.log" 2>&1 &
    SPOOLD_PID=$!
    SERVER_PIDS+=("$SPOOLD_PID:$dir")
    for _ in $(seq 600); do
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
