#!/usr/bin/env bash
# Installs what building, running and testing Instant Share need, and only what is missing.
#
#   scripts/deps.sh [build] [run] [headless] [test]     (no argument: all of them)
#
# build: compile the workspace and the UI; run: start the app; headless: Xvfb, a D-Bus session
# and a keyring for a machine without a desktop; test: headless + the end-to-end test tools.
#
# Debian/Ubuntu packages (apt-get, as root or through sudo), Node.js >= 20, the npm packages of
# ui/ and tests/, tauri-driver and cargo-fuzz (from crates.io, into $INSTANT_SHARE_CACHE), and
# the nightly toolchain cargo-fuzz builds with (rustup). Safe to run again:
# when everything is there it changes nothing and says so.
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=common.sh
. "$INSTANT_SHARE_ROOT/scripts/common.sh"

build_pkgs=(build-essential pkg-config libwebkit2gtk-4.1-dev libayatana-appindicator3-dev
  librsvg2-dev libssl-dev libasound2-dev libclang-dev libxdo-dev cmake libvpx-dev
  libpipewire-0.3-dev)
run_pkgs=(libayatana-appindicator3-1)
headless_pkgs=(xvfb xauth dbus-x11 gnome-keyring keyutils imagemagick)
# openbox and x11-utils (xprop): a real window manager for the app's sharing suite (minimising,
# stacking, an always-on-top bar), and reading window states.
# mingw-w64: C compilers for the Windows check of the app (ring, opus and others build C code
# for the target even in a `cargo check`). nsis and libxml2-utils: compiling the NSIS
# installer's hooks and reading the WiX fragment (scripts/check-installers.sh). debootstrap and
# rpm: the package test (scripts/package-test.sh) makes a clean Debian root to install the .deb
# in, and reads the .rpm's requirements. python3-venv: the contract test installs schemathesis
# from PyPI into a virtual environment (scripts/contract-test.sh).
test_pkgs=(xdotool python3 python3-venv webkit2gtk-driver chromium firefox-esr coturn openbox x11-utils
  gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 nsis libxml2-utils debootstrap rpm)
# iptables and iproute2: the network fault harness (crates/netem, scripts/netem.sh) queues
# packets to its delayer with iptables' NFQUEUE inside network namespaces (`ip netns`, `unshare`).
test_pkgs+=(iptables iproute2)
# A headless Wayland desktop for the screen-sharing suite (scripts/wayland-session.sh): sway,
# PipeWire, the portal; and what rebuilding Debian's xdg-desktop-portal-wlr from its source
# package takes (scripts/wayland-portal.sh: dpkg-source, meson and its build dependencies).
test_pkgs+=(sway pipewire wireplumber xdg-desktop-portal xdg-desktop-portal-wlr
  dpkg-dev meson ninja-build libinih-dev libgbm-dev libdrm-dev libwayland-dev wayland-protocols
  libsystemd-dev)

want_build=0 want_run=0 want_headless=0 want_test=0
if [ $# -eq 0 ]; then set -- build run headless test; fi
for group in "$@"; do
  case "$group" in
    build) want_build=1 ;;
    run) want_run=1 ;;
    headless) want_headless=1 ;;
    test) want_headless=1 want_test=1 ;;
    *) die "unknown group '$group' (build, run, headless or test)" ;;
  esac
done

wanted=()
[ "$want_build" -eq 0 ] || wanted+=("${build_pkgs[@]}")
[ "$want_run" -eq 0 ] || wanted+=("${run_pkgs[@]}")
[ "$want_headless" -eq 0 ] || wanted+=("${headless_pkgs[@]}")
[ "$want_test" -eq 0 ] || wanted+=("${test_pkgs[@]}")
mapfile -t missing < <(missing_pkgs "${wanted[@]}")
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}"
else
  say "Debian packages: all ${#wanted[@]} present"
fi

# Node.js: the UI's tooling needs 20 or later.
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1 || [ "$(node_major)" -lt 20 ]; then
  apt_install nodejs npm
  if [ "$(node_major)" -lt 20 ]; then
    die "Node.js $(node --version 2>/dev/null || echo '(none)') is too old: the UI needs 20 or later. Install Node.js 20+ (e.g. from your distribution's backports) and run again."
  fi
else
  say "Node.js $(node --version): present"
fi

# npm packages, from the lock files. `npm ci` starts from scratch each time, so run it only when
# node_modules is older than the lock file.
npm_ci() {
  local dir="$1"
  [ -f "$dir/package-lock.json" ] || return 0
  local stamp="$dir/node_modules/.package-lock.json"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$dir/package-lock.json" ]; then
    say "npm packages in ${dir#"$INSTANT_SHARE_ROOT"/}: present"
    return 0
  fi
  say "installing npm packages in ${dir#"$INSTANT_SHARE_ROOT"/} (npm ci)"
  # The tests drive Debian's browsers; no package may fetch one of its own.
  (cd "$dir" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund)
}
if [ "$want_build" -eq 1 ]; then npm_ci "$INSTANT_SHARE_ROOT/ui"; fi
if [ "$want_test" -eq 1 ]; then npm_ci "$INSTANT_SHARE_ROOT/tests"; fi

# tauri-driver: the WebDriver server in front of WebKitWebDriver that the app's tests talk to.
if [ "$want_test" -eq 1 ]; then
  if [ -x "$TAURI_DRIVER_ROOT/bin/tauri-driver" ]; then
    say "tauri-driver: present in $TAURI_DRIVER_ROOT/bin"
  else
    command -v cargo >/dev/null 2>&1 || die "cargo is missing: install Rust with rustup (https://rustup.rs) first"
    say "installing: tauri-driver (cargo install tauri-driver --locked --root $TAURI_DRIVER_ROOT)"
    mkdir -p "$TAURI_DRIVER_ROOT"
    # Outside the workspace, so that its pinned toolchain and target dir do not apply.
    (cd "$INSTANT_SHARE_CACHE" && CARGO_TARGET_DIR="$INSTANT_SHARE_CACHE/tauri-driver-build" \
      cargo install tauri-driver --locked --root "$TAURI_DRIVER_ROOT")
    rm -rf "$INSTANT_SHARE_CACHE/tauri-driver-build"
  fi
fi

# cargo-fuzz and a nightly toolchain: the fuzz targets in fuzz/ (scripts/fuzz.sh) build with
# libFuzzer and AddressSanitizer, which need nightly.
if [ "$want_test" -eq 1 ]; then
  if rustup run nightly rustc --version >/dev/null 2>&1; then
    say "nightly toolchain: present ($(rustup run nightly rustc --version))"
  else
    say "installing: the nightly toolchain (rustup toolchain install nightly --profile minimal)"
    # A machine that cannot fetch toolchains still runs everything else: test.sh then skips
    # the fuzz step and says why.
    rustup toolchain install nightly --profile minimal ||
      say "the nightly toolchain could not be installed: the fuzz targets will be skipped"
  fi
  if [ -x "$CARGO_FUZZ_ROOT/bin/cargo-fuzz" ]; then
    say "cargo-fuzz: present in $CARGO_FUZZ_ROOT/bin"
  else
    say "installing: cargo-fuzz (cargo install cargo-fuzz --locked --root $CARGO_FUZZ_ROOT)"
    mkdir -p "$CARGO_FUZZ_ROOT"
    (cd "$INSTANT_SHARE_CACHE" && CARGO_TARGET_DIR="$INSTANT_SHARE_CACHE/cargo-fuzz-build" \
      cargo install cargo-fuzz --locked --root "$CARGO_FUZZ_ROOT")
    rm -rf "$INSTANT_SHARE_CACHE/cargo-fuzz-build"
  fi
fi
