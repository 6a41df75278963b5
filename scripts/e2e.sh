#!/usr/bin/env bash
# The end-to-end suites in tests/, in the headless desktop (scripts/headless.sh), against the
# binaries already built in $CARGO_TARGET_DIR/debug and the UI in ui/dist.
#
#   scripts/e2e.sh [--browser chromium|firefox] [console|app|tests/FILE.test.mjs ...]
#
# No suite named: every suite. --browser (or E2E_BROWSER) picks the browser of the suites that
# run in both, console and call (default chromium); the others run only in Chromium.
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=common.sh
. "$INSTANT_SHARE_ROOT/scripts/common.sh"

files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --browser)
      [ $# -ge 2 ] || die "--browser needs chromium or firefox"
      export E2E_BROWSER="$2"
      shift
      ;;
    */*.mjs | *.mjs) files+=("$(basename -- "$1")") ;;
    *) files+=("$1.test.mjs") ;;
  esac
  shift
done
case "${E2E_BROWSER:=chromium}" in
  chromium) ;;
  firefox)
    firefox="${INSTANT_SHARE_FIREFOX:-/usr/bin/firefox-esr}"
    [ -x "$firefox" ] || die "no Firefox at $firefox: run scripts/deps.sh test (it installs firefox-esr)"
    ;;
  *) die "unknown browser '$E2E_BROWSER' (chromium or firefox)" ;;
esac
export E2E_BROWSER
cd "$INSTANT_SHARE_ROOT/tests"
if [ "${#files[@]}" -eq 0 ]; then
  files=(./*.test.mjs)
fi
for module in playwright-core puppeteer-core; do
  [ -d "node_modules/$module" ] || die "tests/node_modules has no $module: run scripts/deps.sh test"
done

node_flags=(--test --test-concurrency=1 --test-reporter=spec)
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 22 ]; then
  node_flags+=(--experimental-websocket) # Node 20 has WebSocket only behind this flag.
fi
# Screenshots and logs of this run only (test.sh clears the folder once for all suites).
if [ -z "${E2E_KEEP_OUTPUT:-}" ]; then rm -rf output; fi
mkdir -p output
exec "$INSTANT_SHARE_ROOT/scripts/headless.sh" node "${node_flags[@]}" "${files[@]}"
