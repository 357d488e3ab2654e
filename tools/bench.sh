#!/usr/bin/env bash
# Spool's benchmarks, run by `make bench` after `swift build -c release`.
#
# Prints the machine, then one section per part of the system. Each section is a function
# below; add a section (server, views, …) by writing `section_<name>` and adding <name> to
# SECTIONS. Results: readable tables on the terminal, and every configuration's JSON line
# collected in $OUT/<section>.jsonl.
#
# Environment (all optional):
#   SECTIONS             sections to run, in order            (default: "storage")
#   SPOOL_BENCH          the spool-bench binary               (default: .build/release/spool-bench)
#   BENCH_DIR            where data directories are created   (default: $TMPDIR or /tmp)
#   BENCH_EVENTS         events per append configuration      (default: 1000000)
#   BENCH_SECONDS        time cap per append configuration    (default: 20)
#   OUT                  where the JSON lines go               (default: a new temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."

SECTIONS=${SECTIONS:-storage}
SPOOL_BENCH=${SPOOL_BENCH:-.build/release/spool-bench}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}}
BENCH_EVENTS=${BENCH_EVENTS:-1000000}
BENCH_SECONDS=${BENCH_SECONDS:-20}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/spool-bench-results.XXXXXX")}
mkdir -p "$BENCH_DIR" "$OUT"

title() { printf '\n== %s\n\n' "$*"; }

# Runs `$SPOOL_BENCH "$@"`, showing its table and keeping its JSON lines in $OUT/$section.jsonl.
bench() {
    echo "\$ spool-bench $*"
    "$SPOOL_BENCH" "$@" --dir "$BENCH_DIR" | while IFS= read -r line; do
        case $line in
        '{'*) echo "$line" >>"$OUT/$section.jsonl" ;;
        '') ;;
        *) echo "$line" ;;
        esac
    done
    echo
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
    title "storage: durable appends through Engine.append (log + inline views)"
    bench append --events "$BENCH_EVENTS" --seconds "$BENCH_SECONDS" --submitters 1,16,64 --window 1,16 --streams own,random
    title "storage: the log alone (Writer without views), 64 submitters"
    bench append --events "$BENCH_EVENTS" --seconds "$BENCH_SECONDS" --submitters 64 --window 1,16 --streams own,random --layer log
    title "storage: summary"
    python3 - "$OUT/storage.jsonl" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def raw_rate(batch, index, size):
    return max((r["events_per_s"] for r in rows if r["bench"] == "raw" and r["batch"] == batch
                and r["index_streams"] == index and r["value_bytes"] == size), default=0)
raw = raw_rate(1000, 0, 250)
print(f"raw MDB_APPEND, commits of 1,000: {raw:,} events/s; issue 2's target at 64 submitters: >= {raw // 2:,} events/s (50%)")
print("64 submitters:                          events/s   of raw   of raw shaped like it (index, batch)")
for r in rows:
    if r["bench"] == "append" and r["submitters"] == 64:
        shaped = raw_rate(32 if r["window"] == 1 else 512, 256 if r["streams"] == "own" else 100000, 410)
        share = 100 * r["events_per_s"] / raw if raw else 0
        shaped_share = f"{100 * r['events_per_s'] / shaped:5.1f}% of {shaped:,}" if shaped else "-"
        print(f"  {r['layer']:6} {r['streams']:6} streams, window {r['window']:2}: {r['events_per_s']:>9,}   {share:5.1f}%   {shaped_share}")
busy = [r for r in rows if r.get("others_cpu_percent", 0) > 20]
if busy:
    print(f"warning: {len(busy)} configuration(s) shared the CPU with other processes (others % > 20); "
          "their figures are low — rerun on a quiet machine")
EOF
}

[ -x "$SPOOL_BENCH" ] || { echo "bench.sh: $SPOOL_BENCH is missing; build it with: swift build -c release --product spool-bench" >&2; exit 1; }
machine
for section in $SECTIONS; do
    "section_$section"
done
echo
echo "JSON lines: $OUT"
