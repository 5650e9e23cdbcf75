# The two commands of the README, and the rest.
#   make demo   set up, build, run the end-to-end demo
#   make test   set up, build, run the whole test suite (ctest)
#   make bench  Release build and the benchmarks (figures in docs/benchmarks.md); BENCH_BASE=COMMIT compares with COMMIT
#   make fuzz   libFuzzer (clang) on the parsers, FUZZ_SECONDS (60) each
#   make lint   clang-tidy on the product code (functions <= 80 lines, bugprone, performance)
#   make package        the Debian package: build/package/webhook-output_VERSION_amd64.deb (CPack)
#   make package-check  installs that package with apt-get, runs a demo from it, purges it (root)
# PRESET picks the CMake preset (dev by default; ci when CI is set).

PRESET ?= $(if $(CI),ci,dev)
BUILD  := build/$(PRESET)
# ccache when it is there once the set-up has run (looked up in the recipe, not
# when make reads this file: the set-up installs it, and the first configure
# must see it as every later one does, or a later build recompiles everything).
LAUNCHER = $$(command -v ccache >/dev/null 2>&1 && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
# Relative paths in ccache's hash, so that every clone shares one cache.
export CCACHE_BASEDIR := $(CURDIR)

.PHONY: package package-check bench-compare bench-runtime bench-runner demo-runner lint all setup configure build demo demo-stream test test-unit test-integration test-sanitize test-tsan bench fuzz clean help

all: build

help:
	@sed -n 's/^#   //p' Makefile

setup:
	@bash scripts/setup.sh
	@bash scripts/setup-node-red.sh

configure: setup
	@mkdir -p build && cmake --preset $(PRESET) $(LAUNCHER) >$(BUILD).configure.log 2>&1 || { cat $(BUILD).configure.log; exit 1; }

build: configure
	@cmake --build $(BUILD)

# Builds only what the demo runs: journey-sim and the plugin (after make test: nothing).
demo: configure
	@cmake --build $(BUILD) --target journey-sim webhook_output
	@bash scripts/demo.sh $(BUILD)

# The scale-out demo: two output-runners sharing a Redis stream (docs/scale-out.md).
demo-runner: build
	@bash scripts/demo-runner.sh $(BUILD)

# The streaming demo: webhook-mock as a process, records through `journey-sim stream`.
demo-stream: build
	@bash scripts/demo-stream.sh $(BUILD)

# The Debian package of this build (cmake/package.cmake); the stripped
# binaries and Depends computed by dpkg-shlibdeps.
package: build
	@rm -rf build/package && cpack --config $(BUILD)/CPackConfig.cmake -B build/package >$(BUILD).package.log 2>&1 \
	  || { cat $(BUILD).package.log; exit 1; }
	@ls build/package/*.deb

package-check: package
	@bash scripts/package-check.sh build/package/webhook-output_*_amd64.deb tests/install/consumer

test: build
	@bash scripts/setup-wiremock.sh build/tools
	@ctest --preset $(PRESET)

test-unit: build
	@ctest --preset $(PRESET) -L unit

test-integration: build
	@ctest --preset $(PRESET) -L integration

# ASan + UBSan build of the unit and integration tests (CI runs it after make test);
# not the `external` ones (real clients timing a real process).
test-sanitize:
	@$(MAKE) --no-print-directory PRESET=sanitize build
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --preset sanitize -L 'unit|integration' -LE external

# ThreadSanitizer build of the threaded parts: the delivery engine, the ABI, the receiver.
test-tsan:
	@$(MAKE) --no-print-directory PRESET=tsan build
	@TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --preset tsan -L integration -LE external

# Release build, then every benchmark written so far (loopback only, bounded).
bench:
	@bash scripts/setup.sh wrk nginx-light curl
	@bash scripts/setup-wiremock.sh build/tools
	@$(MAKE) --no-print-directory PRESET=release build
	@bash bench/mock_endpoint.sh build/release
	@bash bench/simulator.sh build/release
	@bash bench/plugin.sh build/release
	@bash bench/runtime.sh build/release
	@bash bench/outage.sh build/release
	@bash bench/runner.sh build/release
	@if [ -n "$(BENCH_BASE)" ]; then bash scripts/build-base.sh $(BENCH_BASE) && bash bench/compare.sh build/release build/release-base; fi

# Only the many-activations benchmark (bench/runtime.sh): make bench-runtime.
bench-runtime:
	@bash scripts/setup.sh nginx-light
	@$(MAKE) --no-print-directory PRESET=release build
	@bash bench/runtime.sh build/release

# Only output-runner through Redis against journey-sim stream (bench/runner.sh).
bench-runner:
	@bash scripts/setup.sh nginx-light
	@$(MAKE) --no-print-directory PRESET=release build
	@bash bench/runner.sh build/release

# Only the comparison with another commit: make bench-compare BENCH_BASE=COMMIT.
bench-compare:
	@bash scripts/setup.sh wrk nginx-light curl
	@$(MAKE) --no-print-directory PRESET=release build
	@bash scripts/build-base.sh $(BENCH_BASE)
	@bash bench/compare.sh build/release build/release-base

# The fuzz targets (tests/fuzz) under libFuzzer with ASan + UBSan, bounded
# in time; make test replays their committed corpus in every build.
fuzz:
	@bash scripts/setup.sh clang libfuzzer-14-dev libclang-rt-14-dev
	@bash scripts/fuzz.sh

# clang-tidy-14 on every product source (.clang-tidy), about 4 minutes on
# two cores; also no product file over 600 lines.
lint:
	@bash scripts/setup.sh clang-tidy-14
	@bash scripts/lint.sh

clean:
	rm -rf build
