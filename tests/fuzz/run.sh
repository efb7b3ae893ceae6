#!/usr/bin/env bash
# Bounded cargo fuzz runs of the parsers that read untrusted input (fuzz/fuzz_targets): receipts
# and references, the report and decision forms, rule sets and calendar years, evidence files. Each target
# starts from the seeds in fuzz/seeds and runs FUZZ_SECONDS (default 30); a crash, a panic or
# a failed assertion fails the run and leaves the input in fuzz/artifacts.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! cargo fuzz --version 2>/dev/null | grep -q "0.13.2"; then
  cargo install cargo-fuzz --version 0.13.2 --locked
fi
# libFuzzer's coverage instrumentation needs flags the stable compiler keeps behind this switch;
# the machines have no nightly toolchain. No sanitizer: the targets are safe Rust.
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/minhbach-target}-fuzz"
seconds="${FUZZ_SECONDS:-30}"
targets=(receipt report_form decision_form legal_data evidence)

for t in "${targets[@]}"; do
  corpus=$(mktemp -d)
  out=$(mktemp)
  echo "== fuzz $t (${seconds} s)"
  status=0
  cargo fuzz run --fuzz-dir fuzz --sanitizer none "$t" "$corpus" "fuzz/seeds/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$out" 2>&1 || status=$?
  grep -E "^(Done|stat::number_of_executed_units|INFO: seed corpus)|panicked|ERROR|SUMMARY" "$out" || true
  [ "$status" -eq 0 ] || tail -40 "$out"
  rm -rf "$corpus" "$out"
  if [ "$status" -ne 0 ]; then
    echo "fuzz target $t failed; the input is in fuzz/artifacts/$t" >&2
    exit 1
  fi
done
echo "${#targets[@]} passed, 0 failed"
