#!/bin/sh
# The real kubectl against the fleet (run inside a private netns).
# Usage: test_kubectl.sh FLEET SPEC
#
# kubectl sends nothing anonymously with only --server (it asks for a
# username), so the test passes --username/--password: kube-apiserver has
# no basic-auth authenticator since 1.19 and treats such a request as
# system:anonymous; the fleet does the same. An unknown bearer token is 401
# (the token authenticator fails before anonymous is tried).
fleet=$1
spec=$2
command -v kubectl >/dev/null || { echo "kubectl not installed"; exit 77; }
tmp=$(mktemp -d)
. "$(dirname "$0")/../../lib/fleet.sh"
cleanup() { stop_fleet; rm -rf "$tmp"; }
trap cleanup EXIT
FLEET=$fleet FLEET_WAIT=5
start_fleet "$spec" "$tmp/truth.csv" --duration 60 || { echo "no READY line"; exit 1; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# First member of each kind, from the truth file.
member() { # posture [vendor]
    awk -F, -v p="$1" -v v="${2:-}" '$2 == 6443 && $3 == "ok" && $6 == p &&
        (v == "" || $9 == v) { print $1; exit }' "$tmp/truth.csv"
}
k() { # ip args...
    ip=$1
    shift
    timeout 20 kubectl --server "https://$ip:6443" --insecure-skip-tls-verify \
        --username=anonymous --password=x --request-timeout=5s "$@" 2>&1
}

open_ip=$(member open eks)
want=$(awk -F, -v ip="$open_ip" '$1 == ip && $2 == 6443 { print $8 }' "$tmp/truth.csv")
[ -n "$open_ip" ] && [ -n "$want" ] || fail "no open EKS member in the truth"
out=$(k "$open_ip" version -o json)
echo "$out" | grep -q "\"gitVersion\": \"$want\"" || fail "version on $open_ip: $out"
echo "$out" | grep -q '"minor": "28+"' || fail "EKS minor without +: $out"

out=$(k "$open_ip" get --raw /healthz)
[ "$out" = "ok" ] || fail "healthz on $open_ip: $out"

out=$(k "$open_ip" get --raw /api)
echo "$out" | grep -q 'cannot get path \\"/api\\"\|Forbidden\|forbidden' ||
    fail "/api on open member not forbidden: $out"

dis_ip=$(member disabled)
out=$(k "$dis_ip" version -o json)
echo "$out" | grep -q 'You must be logged in to the server' ||
    fail "disabled member $dis_ip: $out"
out=$(k "$dis_ip" get --raw /healthz)
echo "$out" | grep -q 'Unauthorized\|logged in' || fail "disabled healthz: $out"

# Unknown bearer token: 401 even on an open member.
out=$(timeout 20 kubectl --server "https://$open_ip:6443" \
    --insecure-skip-tls-verify --token=bogus --request-timeout=5s \
    get --raw /healthz 2>&1)
echo "$out" | grep -q 'Unauthorized\|logged in' || fail "bearer token accepted: $out"

wide_ip=$(awk -F, '$2 == 6443 && $7 == "wide_open" { print $1; exit }' "$tmp/truth.csv")
out=$(k "$wide_ip" get namespaces -o name)
echo "$out" | grep -q '^namespace/kube-system$' || fail "namespaces on $wide_ip: $out"

stop_fleet
rc=$FLEET_STATUS
trap - EXIT
rm -rf "$tmp"
[ $rc -eq 0 ] || fail "fleet exit code $rc after SIGTERM"
[ $failures -eq 0 ] && echo "kubectl: all checks passed"
[ $failures -eq 0 ]
