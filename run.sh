#!/usr/bin/env bash
# The single entry point: set up everything (scripts/setup.sh), then run a target of the Makefile.
#   bash run.sh figures                  # regenerate figures/ (default profile)
#   bash run.sh test                     # run the test suite
#   bash run.sh smoke                    # figures in the smoke profile (minutes)
#   bash run.sh asi-cell1000             # notebook 07 in the 1000-atom cell (about an hour)
#   bash run.sh figures PROFILE=paper    # anything else is passed to make
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if (($# == 0)); then
    echo "usage: bash run.sh figures|test|smoke|benchmarks|asi-cell1000|clean-runs [MAKE ARGS...]" >&2
    exit 2
fi
bash scripts/setup.sh
command -v make >/dev/null 2>&1 || { echo "run.sh: error: make not found; install it (Debian: apt-get install make)" >&2; exit 1; }
exec make --no-print-directory "$@"
