#!/bin/sh
# Proves scripts/lint.sh keeps a library in its places: in a scratch tree,
# one file including the library where it is not allowed must fail the
# lint (naming the library and the file), and the same file where it is
# allowed must pass.
# Usage: lint_home.sh LINT_SH LIBRARY
lint=$1 lib=$2
case $lib in
libuv) inc='<uv.h>' bad=cli/scratch.c good=scanner/scratch.c name=libuv ;;
cairo) inc='<cairo.h>' bad=report/scratch.c good=report/chart.c name=cairo ;;
jansson) inc='<jansson.h>' bad=report/scratch.c good=classify/scratch.c name=jansson ;;
libssl) inc='<openssl/ssl.h>' bad=common/digest.c good=scanner/scratch.c name=libssl ;;
libcrypto) inc='<openssl/evp.h>' bad=targets/scratch.c good=common/digest.c name=libcrypto ;;
sqlite) inc='<sqlite3.h>' bad=report/scratch.c good=storage/scratch.c name=SQLite ;;
libmaxminddb) inc='<maxminddb.h>' bad=cli/scratch.c good=geo/scratch.c name=libmaxminddb ;;
http-parser) inc='<http_parser.h>' bad=classify/scratch.c good=scanner/scratch.c name=http-parser ;;
fontconfig) inc='<fontconfig/fontconfig.h>' bad=report/html.c good=report/chart.c name=fontconfig ;;
*) echo "lint_home: unknown library '$lib'"; exit 2 ;;
esac
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
status=0

# A tree with one clean file beside the scratch one (so the lint has
# something to read in either case).
scratch() { # path of the file that includes the library
    rm -rf "$tmp/tree"
    mkdir -p "$tmp/tree/common" "$tmp/tree/$(dirname "$1")"
    printf 'int kc_clean(void);\n' > "$tmp/tree/common/clean.c"
    printf '#include %s\n' "$inc" > "$tmp/tree/$1"
}

scratch "$bad"
if "$lint" "$tmp/tree" > "$tmp/out" 2>&1; then
    echo "FAIL: $inc in $bad passed the lint"; status=1
elif ! grep -q "$name" "$tmp/out" || ! grep -q "^$bad:1:" "$tmp/out"; then
    echo "FAIL: the lint did not name $name and $bad:"; cat "$tmp/out"; status=1
else
    echo "ok: $inc in $bad fails the lint"
fi

scratch "$good"
if ! "$lint" "$tmp/tree" > "$tmp/out" 2>&1; then
    echo "FAIL: $inc in $good failed the lint:"; cat "$tmp/out"; status=1
else
    echo "ok: $inc in $good passes"
fi
exit $status
