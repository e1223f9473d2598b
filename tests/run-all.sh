#!/bin/sh
# The whole test suite, as CI runs it, from a clean clone or a built tree:
#   1. configure (if needed), build, and make check, in the tree;
#   2. the same suite under AddressSanitizer and UBSan, leaks included,
#      in _build-san/ (built from a "make distdir" copy, so that an
#      in-tree build and this one do not get in each other's way);
#   3. every libFuzzer harness for FUZZ_SECONDS each, in _build-fuzz/;
#   4. make distcheck.
# KS_SKIP_SAN=1, KS_SKIP_FUZZ=1 or KS_SKIP_DISTCHECK=1 leave a step out.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)
corpus="$top/../shared/corpus"

step() { printf '\n==== %s\n' "$*"; }
show_failures() {
	for f in "$1"/tests/*.log "$1"/tests/e2e/*.log; do
		[ -f "$f" ] || continue
		grep -qE '^(FAIL|ERROR)' "${f%.log}.trs" 2>/dev/null || continue
		echo "---- $f"; tail -40 "$f"
	done
}

# A pristine copy of the sources in $1/src, configured with the rest of
# the arguments.
fresh_build() {
	dir=$1; shift
	rm -rf "$dir"
	mkdir -p "$dir"
	make -s distdir distdir="$dir/src" >/dev/null
	(cd "$dir/src" && ./configure -q "$@" >/dev/null && make -s -j"$jobs" >/dev/null)
}

[ -x configure ] || { step "autoreconf"; autoreconf -fi; }
[ -f Makefile ] || { step "configure"; ./configure; }

step "make check"
make -j"$jobs"
make -j"$jobs" check || { show_failures "$top"; exit 1; }

if [ "${KS_SKIP_SAN:-0}" != 1 ]; then
	step "make check under ASan + UBSan"
	fresh_build "$top/_build-san" --enable-sanitizers
	(cd _build-san/src && KS_CORPUS="$corpus" \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    make -j"$jobs" check) || { show_failures "$top/_build-san/src"; exit 1; }
fi

if [ "${KS_SKIP_FUZZ:-0}" != 1 ]; then
	step "fuzz smoke run"
	command -v clang >/dev/null || { echo "clang is missing"; exit 1; }
	fresh_build "$top/_build-fuzz" CC=clang --enable-fuzzing
	(cd _build-fuzz/src && make fuzz-smoke FUZZ_SECONDS="${FUZZ_SECONDS:-20}")
fi

if [ "${KS_SKIP_DISTCHECK:-0}" != 1 ]; then
	step "make distcheck"
	make -j"$jobs" distcheck
fi
step "all tests passed"
