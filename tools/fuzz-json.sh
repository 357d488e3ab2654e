#!/usr/bin/env bash
# Coverage-guided fuzzing of the JSON codec with libFuzzer (swiftc -sanitize=fuzzer,address):
# every parse must return or throw, and what parses must round-trip (tools/fuzz/JSONFuzz.swift).
# Usage: tools/fuzz-json.sh [SECONDS]   (default 60). Stops by itself; exit 0 when nothing broke,
# otherwise libFuzzer prints the failing input and leaves it as crash-* in .build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
out=.build-fuzz
mkdir -p "$out/corpus"
swiftc -sanitize=fuzzer,address -parse-as-library -O Sources/JSON/*.swift tools/fuzz/JSONFuzz.swift -o "$out/json-fuzz"
# Seeds: the schema files and each example event, one file each, and edge cases of the grammar.
cp schemas/events/*.json "$out/corpus/"
python3 - "$out/corpus" <<'PY'
import json, sys
for index, event in enumerate(json.load(open("schemas/events/examples.json"))["valid"]):
    open(f"{sys.argv[1]}/example-{index}", "w").write(json.dumps(event, ensure_ascii=False))
PY
printf '%s' '{"a":"\u00e9\ud83d\ude00\n","b":[1.5e3,-0,12345678901234567890,1E400,true,null]}' >"$out/corpus/edges"
cd "$out"
# Swift's own crash reporter would catch the trap first and hold the run; libFuzzer reports it.
SWIFT_BACKTRACE=enable=no ./json-fuzz -max_total_time="$seconds" -max_len=1024 -print_final_stats=1 corpus
