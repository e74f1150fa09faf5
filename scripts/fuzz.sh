#!/bin/sh
# Time-boxed libFuzzer run of every fuzz target, for CI.
# Usage: fuzz.sh BUILD_DIR SECONDS_PER_TARGET
# Builds with clang (-Dfuzz=enabled, ASan+UBSan) into BUILD_DIR, runs each
# tests/fuzz/fuzz_* target from its seed corpus (new inputs go to a scratch
# dir, the repo's corpus is not touched) and writes one meson-style JSON line
# per target to BUILD_DIR/fuzzlog.json for scripts/test-summary.py.
set -u
build=${1:-build-fuzz}
secs=${2:-10}
src=$(cd "$(dirname "$0")/.." && pwd)
log="$build/fuzzlog.json"
if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" -Dfuzz=enabled \
        -Db_sanitize=address,undefined -Db_lundef=false >/dev/null || exit 1
fi
meson compile -C "$build" >/dev/null || { echo "fuzz: build failed"; exit 1; }
: > "$log"
scratch=$(mktemp -d /tmp/kc-fuzz-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
status=0
for bin in "$build"/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] && [ -f "$bin" ] || continue
    name=${bin##*/fuzz_}
    mkdir -p "$scratch/$name"
    if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$scratch/$name-" \
        "$scratch/$name" "$src/tests/fuzz/corpus/$name" \
        >"$scratch/$name.log" 2>&1; then
        result=OK
        runs=$(grep -o 'Done [0-9]* runs' "$scratch/$name.log" | tail -1)
        echo "fuzz/$name: OK ($runs in ${secs}s)"
    else
        result=FAIL
        status=1
        echo "fuzz/$name: FAILED"
        tail -40 "$scratch/$name.log"
        for a in "$scratch/$name"-*; do
            [ -f "$a" ] && { echo "reproducer: $a"; od -c "$a" | head -5; }
        done
    fi
    printf '{"name": "fuzz/%s", "result": "%s"}\n' "$name" "$result" >> "$log"
done
exit $status
