#!/bin/sh
# Runs a command inside a fresh private network namespace with loopback up:
# servers may bind wildcards there, nothing is visible outside, and tests
# running in parallel never collide on ports. Needs root (CI and developers
# run as root); without it, says why and exits 77 (meson's "skip").
if [ "$(id -u)" != 0 ] && ! unshare -rn true 2>/dev/null; then
    echo "netns-run: needs root or user namespaces to isolate the network" >&2
    exit 77
fi
if [ "$(id -u)" = 0 ]; then
    exec unshare -n sh -c 'ip link set lo up && exec "$@"' netns-run "$@"
fi
exec unshare -rn sh -c 'ip link set lo up && exec "$@"' netns-run "$@"
