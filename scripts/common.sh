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

# any_alive PID...: whether one of them still runs (a zombie does not count).
any_alive() {
  local pid state
  for pid in "$@"; do
    state="$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null || true)"
    [ -z "$state" ] || [ "$state" = Z ] || return 0
  done
  return 1
}

# stop_started_in RUNTIME_DIR: ends every process (but this shell) whose XDG_RUNTIME_DIR is
# RUNTIME_DIR — a headless session's daemons, also those that outlived its bus — with TERM,
# then KILL after 5 s. The directory is unique to one session, so nothing else is touched.
stop_started_in() {
  local runtime="$1" environ pid pids=()
  for environ in /proc/[0-9]*/environ; do
    pid="${environ#/proc/}"
    pid="${pid%/environ}"
    [ "$pid" != "$$" ] || continue
    if grep -qzx -- "XDG_RUNTIME_DIR=$runtime" "$environ" 2>/dev/null; then
      pids+=("$pid")
    fi
  done
  [ "${#pids[@]}" -gt 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  local _
  for _ in $(seq 1 50); do
    any_alive "${pids[@]}" || break
    sleep 0.1
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
}
