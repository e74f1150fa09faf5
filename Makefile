# A thin wrapper over meson. `make demo` and `make check` work on a fresh
# Debian machine as root: they install what is missing first, from the
# package lists in scripts/deps/ (run, build, demo, test).
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 15
# Integration tests that also run against the ASan+UBSan build (leak checks
# on): the scanner, fleet, sharding and report paths and the whole hostile
# suite. The resource-limit tests (thousands of targets at -c 1000 with tight
# deadlines) stay on the normal build: ASan's slowdown turns them into
# timeouts, which is what those tests are built to catch.
ASAN_INTEGRATION ?= fleet/truth-test-spec fleet/kubectl scanner/resume \
	scanner/fleet-truth-2threads \
	scanner/cli-scan scanner/fleet-truth ops/shard-merge ops/pipeline \
	hostile/scan hostile/report-terminal hostile/report-csv \
	hostile/report-json hostile/report-markup report/golden report/censys \
	limits/kill9-resume scanner/from-scan
MESON_OPTS ?=
JOBS       ?= 2
PREFIX     ?= /usr/local
DESTDIR    ?=

.PHONY: all deps deps-build deps-check build demo check check-asan lint clean fuzz install

all: build

# Build and run packages for building and installing; the demo adds its
# own; no test framework, browser or debugger before `make check`.
deps-build:
	@scripts/bootstrap.sh run build

deps:
	@scripts/bootstrap.sh run build demo

deps-check:
	@scripts/bootstrap.sh run build demo test

# Configured without the test suite, so building needs no test package;
# `make check` turns the tests on in the same directory.
$(BUILD)/build.ninja:
	meson setup $(BUILD) -Dtests=disabled $(MESON_OPTS)

build: deps-build $(BUILD)/build.ninja
	meson compile -C $(BUILD)

# The binary, kcensus(1) and the bash completion under PREFIX (staged under
# DESTDIR when set); the test programs are not installed.
install: build
	meson configure $(BUILD) -Dprefix=$(PREFIX)
	meson install -C $(BUILD) $(if $(DESTDIR),--destdir "$(DESTDIR)")

# The main job end to end on the embedded default: a simulated fleet of API
# servers on loopback (in a private network namespace), scanned into
# census.db, then the report.
demo: deps build
	scripts/demo.sh $(BUILD)

lint:
	scripts/lint.sh .

# Every test: the normal build (werror), then the unit suite and the
# ASAN_INTEGRATION tests again under ASan+UBSan, then a time-boxed libFuzzer run of every fuzz target (clang);
# one closing summary line over all three.
check: deps-check
	@rm -f $(BUILD)/meson-logs/testlog.json $(BUILD_ASAN)/meson-logs/testlog*.json $(BUILD_FUZZ)/fuzzlog.json
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) $(MESON_OPTS)
	meson configure $(BUILD) -Dwerror=true -Dtests=enabled
	meson compile -C $(BUILD)
	-meson test -C $(BUILD) --num-processes $(JOBS) --print-errorlogs
	@[ -f $(BUILD_ASAN)/build.ninja ] || meson setup $(BUILD_ASAN) -Dwerror=true -Dtests=enabled \
	    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug $(MESON_OPTS)
	meson compile -C $(BUILD_ASAN)
	-ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    meson test -C $(BUILD_ASAN) --suite unit --num-processes $(JOBS) --print-errorlogs
	-@mv $(BUILD_ASAN)/meson-logs/testlog.json $(BUILD_ASAN)/meson-logs/testlog-unit.json
	-ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    meson test -C $(BUILD_ASAN) --num-processes $(JOBS) --print-errorlogs $(ASAN_INTEGRATION)
	-@mv $(BUILD_ASAN)/meson-logs/testlog.json $(BUILD_ASAN)/meson-logs/testlog-integration.json
	-scripts/fuzz.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)
	@scripts/test-summary.py $(BUILD)/meson-logs/testlog.json $(BUILD_ASAN)/meson-logs/testlog-unit.json $(BUILD_ASAN)/meson-logs/testlog-integration.json $(BUILD_FUZZ)/fuzzlog.json

check-asan: check

# Longer fuzzing: make fuzz FUZZ_SECONDS=600
fuzz: deps-check
	scripts/fuzz.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
