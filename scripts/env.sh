# shellcheck shell=bash
# Environment shared by `make run`, `make test` and CI. Source it: `. scripts/env.sh`.
#
# The build directory lives outside the clone so that every fresh clone (CI makes one per run)
# reuses the previous build: a cold debug build of the workspace takes minutes on two cores.

INSTANT_SHARE_ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
export INSTANT_SHARE_ROOT

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/instant-share-target}"
export INSTANT_SHARE_CACHE="${INSTANT_SHARE_CACHE:-/var/tmp/instant-share-cache}"

# tauri-driver is installed from crates.io into the cache, not into ~/.cargo/bin.
TAURI_DRIVER_ROOT="$INSTANT_SHARE_CACHE/tauri-driver"
export TAURI_DRIVER_ROOT
case ":$PATH:" in
  *":$TAURI_DRIVER_ROOT/bin:"*) ;;
  *) export PATH="$TAURI_DRIVER_ROOT/bin:$PATH" ;;
esac
# cargo-fuzz likewise (scripts/deps.sh); the fuzz build (nightly, sanitizers) has a target
# directory of its own, since it cannot share the stable one.
CARGO_FUZZ_ROOT="$INSTANT_SHARE_CACHE/cargo-fuzz"
export CARGO_FUZZ_ROOT
case ":$PATH:" in
  *":$CARGO_FUZZ_ROOT/bin:"*) ;;
  *) export PATH="$CARGO_FUZZ_ROOT/bin:$PATH" ;;
esac
export INSTANT_SHARE_FUZZ_TARGET="${INSTANT_SHARE_FUZZ_TARGET:-/var/tmp/instant-share-fuzz-target}"
# cargo itself, when rustup put it in ~/.cargo/bin and the shell did not add it.
if ! command -v cargo >/dev/null 2>&1 && [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]; then
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

# playwright-core drives Debian's /usr/bin/chromium; it must never fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

# The app's build embeds ui/dist; `custom-protocol` is how Tauri serves the embedded files
# instead of a dev server. Every cargo command uses the same features so nothing is rebuilt
# twice for two feature sets.
export INSTANT_SHARE_APP_FEATURES="${INSTANT_SHARE_APP_FEATURES:-instant-share/custom-protocol}"
