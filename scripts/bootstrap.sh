#!/bin/sh
# Installs the Debian packages in scripts/deps that are missing.
# Runs apt-get only when something is missing, so a ready machine is quick.
set -eu
here=$(dirname "$0")
missing=""
for p in $(grep -v '^#' "$here/deps" | grep -v '^$'); do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing="$missing $p"
    fi
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
