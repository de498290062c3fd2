#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS [TARGET...]: fuzzes each target (all of them by
# default) for SECONDS over its seed corpus and the real samples.
#
# BUILD_DIR is a build configured with CC=clang -Dfuzz=true
# -Db_sanitize=address,undefined -Db_lundef=false. New inputs go to
# BUILD_DIR/fuzz-corpus/TARGET (the seeds in the source tree stay as they
# are); a crash, leak or broken invariant leaves its input as
# BUILD_DIR/fuzz_TARGET-crash-… (or -leak-, -timeout-, -oom-) and makes
# the run fail after the other targets have had their turn.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS [TARGET...]" >&2
  exit 2
fi
build="$(cd "$1" && pwd)"
seconds="$2"
shift 2
src="$(cd "$(dirname "$0")/../.." && pwd)"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(queuelog ami ingest import query ws)
fi

export LSAN_OPTIONS="suppressions=$src/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

failed=()
for t in "${targets[@]}"; do
  exe="$build/tests/fuzz/fuzz_$t"
  work="$build/fuzz-corpus/$t"
  mkdir -p "$work"
  dict=()
  if [ -f "$src/tests/fuzz/$t.dict" ]; then
    dict=("-dict=$src/tests/fuzz/$t.dict")
  fi
  echo "== fuzz_$t for ${seconds}s"
  if "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    -print_final_stats=1 \
    -artifact_prefix="$build/fuzz_$t-" "${dict[@]}" \
    "$work" "$src/tests/fuzz/corpus/$t" "$src/tests/data/samples" \
    >"$build/fuzz_$t.log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|DONE' "$build/fuzz_$t.log" || true
  else
    echo "fuzz_$t FAILED: see $build/fuzz_$t.log and $build/fuzz_$t-*"
    tail -n 60 "$build/fuzz_$t.log"
    failed+=("$t")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "== fuzzing found problems in: ${failed[*]}"
  exit 1
fi
echo "== fuzzing: no crash, leak or broken invariant"
