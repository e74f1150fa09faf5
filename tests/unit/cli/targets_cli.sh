#!/bin/sh
# kcensus targets end to end: output format, --count, errors and exit codes.
# Usage: targets_cli.sh KCENSUS
set -u
k=$1
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

out=$("$k" targets -q --seed 1 --allow-loopback -p 6443 127.0.0.1/31 '[::1]:443' \
      h.example:8443 | sort)
[ "$out" = "$(printf '127.0.0.0:6443\n127.0.0.1:6443\n[::1]:443\nh.example:8443')" ] ||
    fail "targets output: $out"

out=$("$k" targets -q --count -p 443 0.0.0.0/0)
[ "$out" = "$(printf 'targets 3702258432\nexcluded 592708864\nduplicates 0\ninvalid 0')" ] ||
    fail "count: $out"

out=$(printf 'saddr\n8.8.8.8\n10.0.0.1\n8.8.8.8\n' | "$k" targets -q --count -i -)
[ "$out" = "$(printf 'targets 2\nexcluded 2\nduplicates 2\ninvalid 0')" ] ||
    fail "stdin count: $out"

printf '1.2.3.4\n# x\n1.2.3.4:bad\n' > "$tmp/list"
err=$("$k" targets -q -i "$tmp/list" 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] || fail "bad file exit $rc"
echo "$err" | grep -q "list:3: bad target '1.2.3.4:bad'" || fail "message: $err"

"$k" targets --shard 3/3 1.2.3.4 2>/dev/null; [ $? = 2 ] || fail "bad shard exit"
"$k" targets 2>/dev/null; [ $? = 2 ] || fail "no specs exit"

a=$("$k" targets -q --seed 5 --shard 0/2 8.8.8.0/28 | wc -l)
b=$("$k" targets -q --seed 5 --shard 1/2 8.8.8.0/28 | wc -l)
[ $((a + b)) = 32 ] || fail "shards $a + $b"
echo ok
