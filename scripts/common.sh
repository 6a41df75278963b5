# shellcheck shell=bash
# Small helpers for the scripts in this folder. Source it after env.sh.

# say MESSAGE: one line on stderr, prefixed so it stands out from build output.
say() { printf '==> %s\n' "$*" >&2; }

# die MESSAGE: say it and stop.
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# as_root CMD...: run CMD as root, through sudo when the user is not root.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root for: $* (run as root or install sudo)"
  fi
}

# apt_install PKG...: installs Debian packages (apt-get update once first), saying which.
apt_updated=0
apt_install() {
  [ $# -gt 0 ] || return 0
  say "installing: $*"
  export DEBIAN_FRONTEND=noninteractive
  if [ "$apt_updated" -eq 0 ]; then
    as_root apt-get update -q
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# missing_pkgs PKG...: prints those not installed.
missing_pkgs() {
  local pkg status
  for pkg in "$@"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
    [ "$status" = installed ] || printf '%s\n' "$pkg"
  done
}

# workspace_has PACKAGE: whether the Cargo workspace has this package (parts land one by one).
workspace_has() {
  local metadata
  metadata="$(cd "$INSTANT_SHARE_ROOT" && cargo metadata --no-deps --format-version 1 2>/dev/null)" ||
    return 1
  [[ "$metadata" == *"\"name\":\"$1\","* ]]
}

# app_features: the `--features` arguments for cargo, when the app is in the workspace and has
# the feature.
app_features() {
  local manifest="$INSTANT_SHARE_ROOT/src-tauri/Cargo.toml"
  if [ -n "$INSTANT_SHARE_APP_FEATURES" ] && [ -f "$manifest" ] &&
     grep -q '^custom-protocol' "$manifest"; then
    printf '%s\n' "--features" "$INSTANT_SHARE_APP_FEATURES"
  fi
}
