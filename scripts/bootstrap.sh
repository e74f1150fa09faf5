#!/bin/sh
# Installs the Debian packages of the named lists in scripts/deps/ that are
# missing. Runs apt-get only when something is missing, so a ready machine
# is quick.
# Usage: scripts/bootstrap.sh LIST...   (lists: run build demo test)
#   make demo  -> run build demo
#   make check -> run build demo test
set -eu
here=$(dirname "$0")
[ $# -gt 0 ] || { echo "usage: $0 LIST... (run build demo test)" >&2; exit 2; }
missing=""
for list in "$@"; do
    file="$here/deps/$list"
    if [ ! -f "$file" ]; then
        echo "bootstrap: no package list '$list' in $here/deps" >&2
        exit 2
    fi
    for p in $(grep -v '^#' "$file" | grep -v '^$'); do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
            missing="$missing $p"
        fi
    done
done
[ -z "$missing" ] && exit 0
echo "bootstrap: installing:$missing" >&2
if [ "$(id -u)" != 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
