#!/usr/bin/env bash
# The end-to-end suites in tests/, in the headless desktop (scripts/headless.sh), against the
# binaries already built in $CARGO_TARGET_DIR/debug and the UI in ui/dist.
#
#   scripts/e2e.sh [console|app|tests/FILE.test.mjs ...]      (no argument: every suite)
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=common.sh
. "$INSTANT_SHARE_ROOT/scripts/common.sh"

files=()
for arg in "$@"; do
  case "$arg" in
    */*.mjs | *.mjs) files+=("$(basename -- "$arg")") ;;
    *) files+=("$arg.test.mjs") ;;
  esac
done
cd "$INSTANT_SHARE_ROOT/tests"
if [ "${#files[@]}" -eq 0 ]; then
  files=(./*.test.mjs)
fi
[ -d node_modules/playwright-core ] || die "tests/node_modules is missing: run scripts/deps.sh test"

node_flags=(--test --test-concurrency=1 --test-reporter=spec)
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 22 ]; then
  node_flags+=(--experimental-websocket) # Node 20 has WebSocket only behind this flag.
fi
# Screenshots and logs of this run only (test.sh clears the folder once for all suites).
if [ -z "${E2E_KEEP_OUTPUT:-}" ]; then rm -rf output; fi
mkdir -p output
exec "$INSTANT_SHARE_ROOT/scripts/headless.sh" node "${node_flags[@]}" "${files[@]}"
