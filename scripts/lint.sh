#!/bin/sh
# A small lint: banned functions, and library includes and calls outside
# the places listed for each library.
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

# 2. Library homes: each library is included and called only in the
#    folders and files listed after its pattern (a trailing / is a folder).
#    libcrypto's digests sit behind common/digest.c; libssl stays in
#    scanner/. Test programs are not shipped code and are not checked.
check_home() { # description pattern allowed...
    what=$1 pat=$2
    shift 2
    h=$(grep -nE "$pat" $files /dev/null | while IFS= read -r line; do
        for a in "$@"; do
            case $a in */) p=$a ;; *) p=$a: ;; esac
            case $line in "$p"*) continue 2 ;; esac
        done
        printf '%s\n' "$line"
    done)
    [ -n "$h" ] && fail "$what outside $*:
$h"
}
check_home "OpenSSL's TLS (libssl)" \
    '#include[[:space:]]*<openssl/ssl\.h>|\bSSL_[a-zA-Z_]+\(' scanner/
check_home "OpenSSL (libcrypto)" '#include[[:space:]]*<openssl/' \
    scanner/ common/digest.c
check_home "SQLite" '#include[[:space:]]*<sqlite3\.h>|\bsqlite3_[a-z_]+\(' storage/
check_home "libmaxminddb" '#include[[:space:]]*<maxminddb\.h>|\bMMDB_[a-z_]+\(' geo/
check_home "libuv" '#include[[:space:]]*<uv\.h>|\buv_[a-z_]+\(' scanner/
check_home "http-parser" '#include[[:space:]]*<http_parser\.h>|\bhttp_parser_[a-z_]+\(' scanner/
check_home "cairo" '#include[[:space:]]*<cairo[a-z-]*\.h>|\bcairo_[a-z_]+\(' report/chart.c
check_home "fontconfig" '#include[[:space:]]*<fontconfig/|\bFc[A-Z][A-Za-z]+\(' report/chart.c
# JSON is parsed where it arrives (classification, target input) and in
# scan's resume and status records.
check_home "jansson" '#include[[:space:]]*<jansson\.h>|\bjson_t\b' \
    classify/ targets/input.c cli/cmd_scan.c

[ $status = 0 ] && echo "lint: ok ($(echo "$files" | wc -l) files)"
exit $status
