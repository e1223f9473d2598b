#!/bin/sh
# The whole test suite, as CI runs it, from a clean clone or a built tree:
#   1. configure (if needed), build, and make check;
#   2. the same suite again under AddressSanitizer and UBSan (_build-san/);
#   3. a short libFuzzer run of every harness (_build-fuzz/);
#   4. make distcheck.
# Set KS_SKIP_SAN=1, KS_SKIP_FUZZ=1 or KS_SKIP_DISTCHECK=1 to leave a step out.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

step() { printf '\n==== %s\n' "$*"; }

[ -x configure ] || { step "autoreconf"; autoreconf -fi; }
if [ ! -f Makefile ]; then
	step "configure"
	./configure
fi
step "make check"
make -j"$jobs"
make -j"$jobs" check || { cat tests/test-suite.log 2>/dev/null | tail -100; exit 1; }

if [ "${KS_SKIP_SAN:-0}" != 1 ]; then
	step "make check under ASan + UBSan"
	mkdir -p _build-san
	(cd _build-san && { [ -f Makefile ] || CC=${SAN_CC:-gcc} "$top/configure" --enable-sanitizers -q; } &&
	 make -j"$jobs" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 make -j"$jobs" check) ||
	 { tail -100 _build-san/tests/test-suite.log 2>/dev/null; exit 1; }
fi

if [ "${KS_SKIP_FUZZ:-0}" != 1 ] && command -v clang >/dev/null; then
	step "fuzz smoke run"
	mkdir -p _build-fuzz
	(cd _build-fuzz && { [ -f Makefile ] || CC=clang "$top/configure" --enable-fuzzing -q; } &&
	 make -j"$jobs" && make fuzz-smoke)
fi

if [ "${KS_SKIP_DISTCHECK:-0}" != 1 ]; then
	step "make distcheck"
	make -j"$jobs" distcheck
fi
step "all tests passed"
