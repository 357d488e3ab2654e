#!/usr/bin/env bash
# Compares builds of `spool` at rebuilding every view offline (`spool rebuild --data DIR`),
# alternating them ROUNDS times on one data directory, and prints each build's median and
# fastest wall and CPU seconds. It stops if two builds print different checksums.
#
# This machine's speed drifts by 20-30% from one minute to the next, so a change of a few
# percent shows only when short runs of the builds alternate many times; a rebuild of 1M
# events takes ~2 s here, against ~45 s for `spool-bench views` (which fills its history first).
#
# Usage: tools/compare-rebuild.sh DIR SPOOL [SPOOL...]      (ROUNDS=10 by default)
# DIR: a data directory, e.g. one kept by
#   .build/release/spool-bench views --layer engine --rebuilds 1 --queries 10 --keep DIR
# SPOOL: `spool` binaries, e.g. a copy of an older build and .build/release/spool.
set -euo pipefail

[ $# -ge 2 ] || { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
dir=$1
shift
[ -f "$dir/data.mdb" ] || { echo "compare-rebuild: $dir holds no data.mdb" >&2; exit 2; }
rounds=${ROUNDS:-10}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

TIMEFORMAT='%R %U %S'
for round in $(seq "$rounds"); do
    for index in $(seq $#); do
        spool=${!index}
        { time "$spool" rebuild --data "$dir" >"$scratch/out" 2>"$scratch/err"; } 2>>"$scratch/times.$index" \
            || { cat "$scratch/err" >&2; exit 1; }
        grep -E '^(users|emails)-' "$scratch/out" >"$scratch/sums.$index"
        if ! cmp -s "$scratch/sums.1" "$scratch/sums.$index"; then
            echo "compare-rebuild: $spool printed other checksums than $1:" >&2
            diff "$scratch/sums.1" "$scratch/sums.$index" >&2 || true
            exit 1
        fi
    done
    echo "round $round of $rounds done" >&2
done

printf '%-48s %11s %11s %11s %11s\n' "build" "wall median" "wall min" "CPU median" "CPU min"
for index in $(seq $#); do
    spool=${!index}
    median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
    wall=$(awk '{ print $1 }' "$scratch/times.$index")
    cpu=$(awk '{ print $2 + $3 }' "$scratch/times.$index")
    [ ${#spool} -le 48 ] || spool=…${spool: -47}
    printf '%-48s %11.2f %11.2f %11.2f %11.2f\n' "$spool" \
        "$(median <<<"$wall")" "$(sort -n <<<"$wall" | head -1)" "$(median <<<"$cpu")" "$(sort -n <<<"$cpu" | head -1)"
done
