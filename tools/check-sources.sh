#!/usr/bin/env bash
# Cheap checks on the sources, run by `make test`: the house rules a compiler does not enforce.
set -uo pipefail
cd "$(dirname "$0")/.."
failures=0
fail() { echo "check-sources: $*"; failures=$((failures + 1)); }

# Unsafe code and the C libraries (liblmdb, and libcrypto for SHA-256) stay inside LMDB.
grep -rln 'import CLMDB' Sources Tests tools --include='*.swift' | grep -v '^Sources/LMDB/' | while read -r f; do echo "check-sources: $f imports CLMDB"; done | grep . && failures=$((failures + 1))
grep -rln 'import CLibCrypto' Sources Tests tools --include='*.swift' | grep -v '^Sources/LMDB/' | while read -r f; do echo "check-sources: $f imports CLibCrypto"; done | grep . && failures=$((failures + 1))
grep -rlnE '\bUnsafe(Mutable)?(Raw)?(Buffer)?Pointer' Sources --include='*.swift' | grep -v '^Sources/LMDB/' | while read -r f; do echo "check-sources: $f uses Unsafe pointers"; done | grep . && failures=$((failures + 1))
# Nor the standard library's unchecked and unsafe calls (code lines, not comments).
grep -rnE '^[^/]*(\[unchecked:|\(unchecked:|unsafeLoad|unsafeBitCast|withUnsafe)' Sources --include='*.swift' | grep -v '^Sources/LMDB/' | grep . && fail "unchecked or unsafe standard-library calls outside LMDB"
# Layering: JSON imports nothing; SpoolCore no NIO; server, daemon and CLI never see LMDB.
grep -rhE '^import ' Sources/JSON | grep -q . && fail "Sources/JSON imports a module"
grep -rlE '^import NIO' Sources/SpoolCore Sources/SpoolProtocol 2>/dev/null | grep . && fail "SpoolCore/SpoolProtocol import NIO"
grep -rlE '^import (C)?LMDB$' Sources/SpoolServer Sources/spoold Sources/spool Sources/SpoolClient 2>/dev/null | grep . && fail "server, daemon, client or CLI import LMDB"
# Input never crashes the process.
grep -rnE 'try!|fatalError\(' Sources tools --include='*.swift' | grep . && fail "try! or fatalError( outside tests"
# No file over 400 lines without a comment saying why ("over 400 lines because …").
for f in $(find Sources Tests tools -name '*.swift'); do
  lines=$(wc -l < "$f")
  if [ "$lines" -gt 400 ] && ! grep -q 'over 400 lines because' "$f"; then fail "$f has $lines lines and no reason given"; fi
done
# House formatting (configuration in tools/swift-format.json).
if ! swift format lint --strict -r --configuration tools/swift-format.json Sources Tests tools 2>&1; then fail "swift format lint found problems (fix with: swift format format -i -r --configuration tools/swift-format.json Sources Tests tools)"; fi

if [ "$failures" -gt 0 ]; then echo "check-sources: $failures problem(s)"; exit 1; fi
echo "check-sources: ok"
