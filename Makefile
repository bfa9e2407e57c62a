# Crypto Prediction Engine — top-level entry points.
#   make build   build/cpe (release) and the frontend bundle when present
#   make run     install what is missing, build, load data, start the cockpit
#   make test    install what is missing, all tests (release + ASan/UBSan C tests,
#                integration, frontend unit and end-to-end)
#   make bench   benchmarks, machine-readable lines into build/bench/*.jsonl
#   make fuzz    each libFuzzer harness for FUZZ_S seconds (default 60; docs/RELIABILITY.md)
#   make format        clang-format every backend .c/.h/.cpp in place
#   make format-check  list (with a diff) every backend file clang-format would change; fails if any
#   make lint          clang-tidy (.clang-tidy) over backend/src, ESLint over frontend/src
#   make coverage      gcov build: line/branch coverage of unit and unit+integration tests (gcovr)
JOBS ?= 2
BUILD ?= build
SHARED ?= $(abspath ../shared)
FUZZ_S ?= 60

.PHONY: all build build-c build-frontend run test bench fuzz format format-check lint coverage clean bootstrap

all: build

bootstrap:
	@scripts/bootstrap.sh

build: bootstrap build-c build-frontend

build-c:
	@cmake -S backend -B $(BUILD)/release -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD)/release -j $(JOBS) --target cpe
	@cp $(BUILD)/release/cpe $(BUILD)/cpe

build-frontend:
	@if [ -f frontend/package.json ]; then cd frontend && npm run --silent build; fi

run: build
	@CPE_SHARED=$(SHARED) scripts/run.sh

test:
	@CPE_SHARED=$(SHARED) scripts/test.sh

bench: build
	@CPE_SHARED=$(SHARED) scripts/bench.sh

fuzz:
	@scripts/bootstrap.sh --with-fuzz
	@FUZZ_S=$(FUZZ_S) JOBS=$(JOBS) scripts/fuzz.sh run

format: bootstrap
	@find backend \( -name '*.[ch]' -o -name '*.cpp' \) | xargs clang-format -i

format-check: bootstrap
	@scripts/format_check.sh

lint: bootstrap
	@scripts/lint.sh

coverage:
	@CPE_SHARED=$(SHARED) scripts/coverage.sh

clean:
	rm -rf $(BUILD)
