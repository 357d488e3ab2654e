# Spool — `make run` starts a server on 127.0.0.1:7070 with ./data; `make test` runs every check.
SWIFT ?= swift
DATA ?= ./data
LISTEN ?= 127.0.0.1:7070
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Release builds link with thin LTO, so the optimizer inlines across every module, swift-nio's
# too, and with Swift's runtime linked in, so its calls (retain, release) skip the PLT: together
# ~8% more appends per second over TCP (BENCHMARKS.md, "twentieth session").
RELEASE := $(SWIFT) build -c release --experimental-lto-mode=thin --static-swift-stdlib

.PHONY: build run test bench clean deps lint

# liblmdb-dev (lmdb.h and the library), libjemalloc-dev (the allocator spoold links) and
# libssl-dev (libcrypto's SHA-256); installed here when missing.
PACKAGES := liblmdb-dev libjemalloc-dev libssl-dev pkg-config
deps:
	@pkg-config --exists lmdb jemalloc libcrypto 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing $(PACKAGES)"; apt-get update -qq && apt-get install -y -qq $(PACKAGES) >/dev/null; \
	  else \
	    echo "system packages are missing: run  sudo apt-get install -y $(PACKAGES)"; exit 1; \
	  fi; }

build: deps
	$(SWIFT) build

run: deps
	$(RELEASE) --product spoold
	.build/release/spoold --listen $(LISTEN) --data $(DATA)

test: deps
	$(SWIFT) build --build-tests
	bash tools/check-sources.sh
	python3 tools/check_schemas.py
	$(SWIFT) test --skip-build --parallel --num-workers 2 --xunit-output .build/tests.xml; \
	  status=$$?; python3 tools/test_summary.py .build/tests.xml || status=1; exit $$status

bench: deps
	$(RELEASE)
	bash tools/bench.sh

clean:
	rm -rf .build
