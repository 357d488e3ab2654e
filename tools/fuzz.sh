#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer and AddressSanitizer. Usage: tools/fuzz.sh TARGET [SECONDS]
#   json    the JSON codec: no trap, round trip, canonical text as written, attributes patched
#           as text as the tree is (tools/fuzz/JSONFuzz.swift)
#   append  an append line up to its drafted records (tools/fuzz/AppendFuzz.swift)
#   request any request line: decoded, and run when its op only reads (tools/fuzz/RequestFuzz.swift)
# Runs SECONDS (default 60) and stops by itself: exit 0 when nothing broke; otherwise libFuzzer
# prints the failing input and leaves it in .build-fuzz/crash-*.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: tools/fuzz.sh json|append|request [SECONDS]}
seconds=${2:-60}
case $target in
json) harness=tools/fuzz/JSONFuzz.swift ;;
append) harness=tools/fuzz/AppendFuzz.swift ;;
request) harness=tools/fuzz/RequestFuzz.swift ;;
*) echo "fuzz.sh: unknown target '$target' (json, append or request)" >&2; exit 2 ;;
esac
out=.build-fuzz
# SpoolProtocol and what it depends on, instrumented; the harness is linked to their objects
# (only this target is built here, so no executable's `main` is among them). One `-sanitize=`
# flag for both: with `--sanitize fuzzer --sanitize address` the compiler keeps only the last.
swift build -c release --scratch-path "$out" --target SpoolProtocol -Xswiftc -sanitize=fuzzer,address
swiftc -sanitize=fuzzer,address -parse-as-library -O "$harness" -I "$out/release/Modules" \
    -Xcc -fmodule-map-file=Sources/CLMDB/module.modulemap -Xcc -fmodule-map-file=Sources/CLibCrypto/module.modulemap \
    $(find "$out/release/" -path '*.build/*.o') -llmdb -lcrypto -o "$out/$target-fuzz"
# Seeds: the schemas, and each example event alone and inside an append line.
corpus=$out/corpus-$target
mkdir -p "$corpus"
cp schemas/events/*.json "$corpus/"
python3 - "$corpus" <<'PY'
import glob, json, os, sys
examples = json.load(open("schemas/events/examples.json"))
for group in ("valid", "invalid"):
    for index, event in enumerate(examples[group]):
        line = {"op": "append", "id": index, "stream": "user-42", "expected_version": "any", "events": [event]}
        open(f"{sys.argv[1]}/{group}-{index}", "w").write(json.dumps(line, ensure_ascii=False))
        open(f"{sys.argv[1]}/{group}-{index}-event", "w").write(json.dumps(event, ensure_ascii=False))
# Append lines with every field an append may carry: an id and metadata on the first event.
for index, event in enumerate(examples["valid"]):
    full = dict(event, id=f"0190a5c4-7d3e-7b2a-9c1f-2b3c4d5e6f{index % 256:02x}",
                metadata={"correlation_id": "c-1", "causation_id": "e-1"})
    line = {"id": f"r{index}", "op": "append", "stream": "user-42", "expected_version": index, "events": [full, event]}
    open(f"{sys.argv[1]}/full-{index}", "w").write(json.dumps(line, ensure_ascii=False))
# Every op's request with each field its schema lists, a sample value of the field's type.
def sample(name, schema):
    if "const" in schema: return schema["const"]
    if "$ref" in schema: return 7
    options = schema.get("oneOf") or schema.get("anyOf")
    if options: return sample(name, options[-1])
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "integer": return schema.get("minimum", 1)
    if kind == "boolean": return True
    if kind == "array": return [sample(name, schema.get("items", {}))]
    if kind == "object": return {key: sample(key, value) for key, value in schema.get("properties", {}).items()}
    if "time" in name or name in ("since", "until", "as_of"): return "2026-12-04T10:00:00Z"
    if name in ("user_id", "segment"): return "1" if name == "user_id" else "beta"
    if name == "stream": return "user-1"
    return "UserCreated" if "type" in name else "user-"
for path in glob.glob("schemas/protocol/*.request.json"):
    schema = json.load(open(path))
    request = {key: sample(key, value) for key, value in schema["properties"].items()}
    open(f"{sys.argv[1]}/{os.path.basename(path)}", "w").write(json.dumps(request))
PY
printf '%s' '{"a":"\u00e9\ud83d\ude00\n","b":[1.5e3,-0,12345678901234567890,1E400,true,null]}' >"$corpus/edges"
# Attributes and a patch (JSONFuzz.swift): every key again in order, restated, one removed.
printf '%s' '{"attributes":{"plan":"pro","n":1},"patch":{"plan":"team","n":2}}' >"$corpus/patch-every"
printf '%s' '[{"plan":"pro","n":1},{"plan":"pro","n":1}]' >"$corpus/patch-restated"
printf '%s' '{"attributes":{"plan":"pro","q\"":[1,{}]},"patch":{"plan":null,"new":"x"}}' >"$corpus/patch-some"
cd "$out"
# Swift's own crash reporter would catch the trap first and hold the run; libFuzzer reports it.
SWIFT_BACKTRACE=enable=no "./$target-fuzz" -max_total_time="$seconds" -max_len=2048 -print_final_stats=1 "corpus-$target"
