#!/usr/bin/env bash
# Fault tests: a real server killed with SIGKILL under load, a data directory on a full disk, a
# free-space reserve. This script builds nothing: it uses the server binary from
# ${MINHBACH_BIN:-${CARGO_TARGET_DIR:-/var/tmp/minhbach-target}/debug/minhbach}. The full-disk
# test mounts a tmpfs and so needs root (CI runs as root; elsewhere it says it skips). The
# PostgreSQL variant needs MINHBACH_TEST_POSTGRES.
set -euo pipefail

cd "$(dirname "$0")/../.."

python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore pytest aiosmtpd schemathesis

bin="${MINHBACH_BIN:-${CARGO_TARGET_DIR:-/var/tmp/minhbach-target}/debug/minhbach}"
if [ ! -x "$bin" ]; then
  echo "run.sh: server binary $bin is missing; build it first (cargo build -p minhbach)" >&2
  exit 1
fi
export MINHBACH_TEST_BIN="$bin"
export PYTHONDONTWRITEBYTECODE=1

python3 -m pytest -q -p no:cacheprovider -rs tests/faults "$@"
