#!/bin/sh
# The crash test at full size (docs/reliability.md, "Crash safety"): wallboardd
# SIGKILLed at 20 random moments while a queue_log of about 1,040,000 events
# (300,000 calls) is written and ingested, restarted each time; then every
# event must be stored exactly once, with the same calls, KPIs and live view
# as an uninterrupted run over the same file.
#
#   bench/crash.sh [BUILD_DIR]          # default: build
#   WB_CRASH_SEED=1764350000 bench/crash.sh build   # repeat a run
#
# WB_CRASH_KILLS, WB_CRASH_CALLS and WB_CRASH_GAP (the longest wait between a
# restart and the next kill, seconds) override the size. The CI form is
# `meson test -C build integration-crash` (10 kills, 40,000 calls).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
export WB_BUILD_DIR="$build"
export WB_DAEMON="${WB_DAEMON:-$build/engine/wallboardd}"
export WB_SOURCE_DIR="$src"
export WB_SAMPLES_DIR="$src/tests/data/samples"
export PYTHONPATH="$src/tests/integration"
export PYTHONDONTWRITEBYTECODE=1
export WB_CRASH_KILLS="${WB_CRASH_KILLS:-20}"
export WB_CRASH_CALLS="${WB_CRASH_CALLS:-300000}"
# The kills spread over the whole ingest (about a minute), not its first seconds.
export WB_CRASH_GAP="${WB_CRASH_GAP:-3}"
echo "$(uname -srm), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
exec /usr/bin/python3 "$src/tests/integration/test_crash.py" -v
