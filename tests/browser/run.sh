#!/usr/bin/env bash
# Browser tests: headless Chromium (Debian's) drives the already-built server through its real
# pages, with JavaScript on and off. This script builds nothing: it uses the server binary from
# ${MINHBACH_BIN:-${CARGO_TARGET_DIR:-/var/tmp/minhbach-target}/debug/minhbach}.
set -euo pipefail

cd "$(dirname "$0")/../.."

if [ ! -x /usr/bin/chromedriver ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
fi
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore selenium pytest pytest-rerunfailures
# axe-core, for the accessibility check of every page, from the npm registry into a folder
# outside the work tree; the tests load it from that file.
axe_dir=${MINHBACH_TEST_AXE_DIR:-/var/tmp/minhbach-axe}
if [ ! -f "$axe_dir/node_modules/axe-core/axe.min.js" ]; then
  if ! command -v npm >/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y npm
  fi
  npm install --silent --no-audit --no-fund --prefix "$axe_dir" axe-core@4.10
fi
export MINHBACH_TEST_AXE="$axe_dir/node_modules/axe-core/axe.min.js"

bin="${MINHBACH_BIN:-${CARGO_TARGET_DIR:-/var/tmp/minhbach-target}/debug/minhbach}"
if [ ! -x "$bin" ]; then
  echo "run.sh: server binary $bin is missing; build it first (cargo build -p minhbach)" >&2
  exit 1
fi
# MINHBACH_TEST_* is ignored by the server's configuration; MINHBACH_BIN would be refused
# as an unknown key, so conftest.py removes it from the server's environment.
export MINHBACH_TEST_BIN="$bin"
export SE_OFFLINE=true
# Leave no .pytest_cache or __pycache__ in the work tree.
export PYTHONDONTWRITEBYTECODE=1

# A browser test that fails is run once more before it counts as failed: on a loaded 2-core
# machine a page load can outlast a wait. Both attempts are reported ("R" in the summary).
python3 -m pytest -q -p no:cacheprovider --reruns 1 -rR tests/browser "$@"
