#!/bin/sh
# make demo: the main job end to end on loopback.
set -eu
build=${1:-build}
echo "demo: kcensus $("$build/cli/kcensus" --version)"
echo "demo: the scanner and the simulated fleet are not built yet;"
echo "demo: 'kcensus --help' lists what exists:"
"$build/cli/kcensus" --help
