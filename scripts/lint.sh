#!/bin/sh
# A small lint: banned functions, and library calls outside their one home.
# Usage: lint.sh [SOURCE_ROOT]. Exit 1 on any finding.
root=${1:-.}
cd "$root" || exit 2
status=0
# Shipped code only; test programs (tests/fleet, tests/hostile) may use
# libuv and OpenSSL freely.
shipped="common cli targets scanner storage report classify geo"
files=$(for d in $shipped; do [ -d "$d" ] && find "$d" -name '*.[ch]'; done)
[ -n "$files" ] || { echo "lint: no sources found under $root"; exit 2; }

fail() { echo "lint: $1"; status=1; }

# 1. Banned calls anywhere in shipped code.
hits=$(grep -nE '\b(strcpy|sprintf|vsprintf|strtok|atoi|atol|gets)[[:space:]]*\(' $files /dev/null | grep -vE '(snprintf|kc_snprintf)\(' )
[ -n "$hits" ] && fail "banned function (use kc_strlcpy, snprintf, strtok_r, kc_parse_*):
$hits"

# 2. Library homes: OpenSSL only in scanner/, SQLite only in storage/,
#    libmaxminddb only in geo/.
check_home() { # pattern home description
    h=$(grep -nE "$1" $files /dev/null | grep -v "^$2/")
    [ -n "$h" ] && fail "$3 outside $2/:
$h"
}
check_home '#include[[:space:]]*<openssl/|\bSSL_[a-zA-Z_]+\(' scanner "OpenSSL"
check_home '#include[[:space:]]*<sqlite3\.h>|\bsqlite3_[a-z_]+\(' storage "SQLite"
check_home '#include[[:space:]]*<maxminddb\.h>|\bMMDB_[a-z_]+\(' geo "libmaxminddb"

[ $status = 0 ] && echo "lint: ok ($(echo "$files" | wc -l) files)"
exit $status
