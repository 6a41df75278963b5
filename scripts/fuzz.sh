#!/usr/bin/env bash
# Fuzzes every decoder of outside input: the targets in fuzz/ (cargo-fuzz: libFuzzer with
# AddressSanitizer, overflow checks and debug assertions on), one job each.
#
#   scripts/fuzz.sh [--seconds N] [--keep] [TARGET...]      (no TARGET: all of them)
#
# Builds the targets with nightly into $INSTANT_SHARE_FUZZ_TARGET (a directory of its own under
# /var/tmp that persists between runs), then runs each for N seconds (default 300) from its
# committed corpus, fuzz/corpus/<target>, plus what earlier runs on this machine found (kept
# beside the build, so the clone stays clean). Prints a line per target — executions, the
# coverage libFuzzer reports (`cov`: edges, `ft`: features), corpus size, crashes — and exits
# non-zero if any target crashed; a crash's input is in fuzz/artifacts/<target>/ and is re-run
# with `cargo +nightly fuzz run --fuzz-dir fuzz <target> <file>`.
#
# --keep: merge what this run found into fuzz/corpus/<target> (only inputs that add coverage,
# minimised by libFuzzer's -merge), to commit.
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=common.sh
. "$INSTANT_SHARE_ROOT/scripts/common.sh"
cd "$INSTANT_SHARE_ROOT"

seconds=300 keep=0 targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:?--seconds takes a number}"; shift ;;
    --keep) keep=1 ;;
    -*) die "unknown option '$1'" ;;
    *) targets+=("$1") ;;
  esac
  shift
done

command -v cargo-fuzz >/dev/null 2>&1 || die "cargo-fuzz is missing: run scripts/deps.sh test"
export CARGO_TARGET_DIR="$INSTANT_SHARE_FUZZ_TARGET"
fuzz=(cargo +nightly fuzz)
if [ "${#targets[@]}" -eq 0 ]; then
  mapfile -t targets < <("${fuzz[@]}" list --fuzz-dir fuzz)
fi

say "building ${#targets[@]} fuzz targets (nightly, into $CARGO_TARGET_DIR)"
"${fuzz[@]}" build --fuzz-dir fuzz --debug-assertions

# Inputs up to this size; pictures and video need room for a real file.
max_len() {
  case "$1" in
    picture_upload | y4m) echo 65536 ;;
    *) echo 16384 ;;
  esac
}

found_root="$CARGO_TARGET_DIR/corpus"
logs="$CARGO_TARGET_DIR/logs"
mkdir -p "$logs"
rows=() crashed=0
for target in "${targets[@]}"; do
  found="$found_root/$target"
  mkdir -p "$found" "fuzz/corpus/$target" "fuzz/artifacts/$target"
  log="$logs/$target.log"
  say "$target: ${seconds} s"
  status=0
  # New inputs go to the first directory (beside the build); the committed corpus is read only.
  "${fuzz[@]}" run --fuzz-dir fuzz --debug-assertions "$target" "$found" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=30 \
    -rss_limit_mb=2560 -print_final_stats=1 >"$log" 2>&1 || status=$?
  last="$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -n 1 || true)"
  cov="$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")"
  ft="$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")"
  corp="$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$last")"
  runs="$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -n 1)"
  rate="$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log" | tail -n 1)"
  rss="$(sed -nE 's/^stat::peak_rss_mb: *([0-9]+)/\1/p' "$log" | tail -n 1)"
  if [ "$status" -eq 0 ]; then
    result="no crash"
  else
    crashed=$((crashed + 1))
    result="CRASH (status $status): $(grep -E '^(SUMMARY|thread .* panicked)' "$log" | head -n 1 || true)"
    grep -E 'Test unit written to|panicked at|SUMMARY' "$log" | head -n 5 >&2 || true
    say "$target: full log in $log"
  fi
  rows+=("$(printf '%-20s %12s %9s %7s %7s %7s %6s  %s' "$target" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}" "$result")")
  if [ "$keep" -eq 1 ] && [ "$status" -eq 0 ]; then
    "${fuzz[@]}" run --fuzz-dir fuzz --debug-assertions "$target" "fuzz/corpus/$target" "$found" -- \
      -merge=1 -max_len="$(max_len "$target")" -timeout=30 -rss_limit_mb=2560 >>"$log" 2>&1
  fi
done

printf '\n%-20s %12s %9s %7s %7s %7s %6s  %s\n' target executions "exec/s" cov ft corpus "rss MB" result
printf '%s\n' "${rows[@]}"
printf '%d targets, %d s each, %d crashed\n' "${#targets[@]}" "$seconds" "$crashed"
[ "$crashed" -eq 0 ]
