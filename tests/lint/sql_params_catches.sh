#!/bin/sh
# Proves the sql-params check of one_way.py fails on what it forbids: in a
# scratch tree, a storage/ file with a literal ?NN, one printing ?%d, and
# one binding a name its SQL lacks must each fail it (naming the file),
# and the same statement with named parameters must pass.
# Usage: sql_params_catches.sh ONE_WAY_PY
one_way=$1
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
status=0

# A tree holding common/common.h (what marks a source tree) and one
# storage/ file with the given body.
scratch() {
    rm -rf "$tmp/tree"
    mkdir -p "$tmp/tree/common" "$tmp/tree/storage"
    printf '/* scratch */\n' > "$tmp/tree/common/common.h"
    printf '%s\n' "$1" > "$tmp/tree/storage/scratch.c"
}

expect_fail() { # what, body
    scratch "$2"
    if python3 "$one_way" sql-params "$tmp/tree" > "$tmp/out" 2>&1; then
        echo "FAIL: $1 passed the check"; cat "$tmp/out"; status=1
    elif ! grep -q "storage/scratch.c" "$tmp/out"; then
        echo "FAIL: $1: the check did not name the file:"; cat "$tmp/out"
        status=1
    else
        echo "ok: $1 fails the check"
    fi
}

expect_fail 'a literal ?NN' \
    'static const char q[] = "SELECT uid FROM scans WHERE id = ?1";'
expect_fail 'a parameter printed as ?%d' \
    'void f(char *b) { kc_snprintf(b, 64, "SET n = ?%d", 7); }'
expect_fail 'a bound name the SQL lacks' \
    'static const char q[] = "SELECT uid FROM scans WHERE id = :scan_id";
void f(sqlite3_stmt *st) { sqlite3_bind_int64(st, kc_param(st, ":scan"), 1); }'

scratch 'static const char q[] = "SELECT uid FROM scans WHERE id = :scan_id";
void f(sqlite3_stmt *st) { sqlite3_bind_int64(st, kc_param(st, ":scan_id"), 1); }'
if ! python3 "$one_way" sql-params "$tmp/tree" > "$tmp/out" 2>&1; then
    echo "FAIL: named parameters failed the check:"; cat "$tmp/out"; status=1
else
    echo "ok: named parameters pass"
fi
exit $status
