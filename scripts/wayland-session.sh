#!/usr/bin/env bash
# Runs a command in a headless Wayland desktop with screen sharing through the portal:
#
#   scripts/wayland-session.sh CMD [ARG...]
#
# - sway on its headless backend with the software renderer (WLR_BACKENDS=headless,
#   WLR_RENDERER=pixman): no GPU, no display. Two outputs: HEADLESS-1 (WAYLAND_SESSION_SIZE,
#   default 1280x720), the one screen sharing picks, and HEADLESS-2 (1280x800), where a test
#   can put windows that must not be in the shared picture (`swaymsg focus output HEADLESS-2`
#   before starting them).
# - a private D-Bus session bus, PipeWire and WirePlumber, xdg-desktop-portal with the wlroots
#   backend configured to share HEADLESS-1 without a dialog (chooser_type=none) and to hand
#   out restore tokens (XDPW_PERSIST_MODE=permanent). The backend is Debian's source package
#   rebuilt with scripts/patches/xdg-desktop-portal-wlr-shm-only.patch (see there; built once
#   and cached under $INSTANT_SHARE_CACHE by scripts/wayland-portal.sh).
# - everything, CMD included, as an unprivileged user: sway refuses to run as root. When run
#   as root, that is WAYLAND_SESSION_USER (default nobody); otherwise the caller. HOME and the
#   XDG dirs are temporary; CARGO_HOME and RUSTUP_HOME keep pointing at the real toolchain.
#
# CMD sees WAYLAND_DISPLAY, SWAYSOCK, DBUS_SESSION_BUS_ADDRESS, XDG_RUNTIME_DIR,
# XDG_SESSION_TYPE=wayland, XDG_CURRENT_DESKTOP=sway, and no DISPLAY. Everything started here
# is stopped when CMD ends, also when it fails or is interrupted; the exit status is CMD's.
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=common.sh
. "$INSTANT_SHARE_ROOT/scripts/common.sh"

[ $# -gt 0 ] || die "usage: scripts/wayland-session.sh CMD [ARG...]"

# wait_for WHAT TRIES PROBE...: runs PROBE every 0.1 s until it succeeds (TRIES times at most).
wait_for() {
  local what="$1" tries="$2"
  shift 2
  local _
  for _ in $(seq 1 "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  die "the Wayland session: $what did not come up (logs in $WAYLAND_SESSION_LOGS)"
}

# bus_has NAME: whether NAME has an owner on the session bus.
bus_has() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner "string:$1" | grep -q 'boolean true'
}

if [ "${1:-}" = "--inner" ]; then
  # Second stage: as the session's user, inside dbus-run-session.
  shift
  scratch="$WAYLAND_SESSION_SCRATCH"
  logs="$WAYLAND_SESSION_LOGS"
  size="${WAYLAND_SESSION_SIZE:-1280x720}"
  children=()
  stop_children() {
    local pid
    for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${children[@]}"; do wait "$pid" 2>/dev/null || true; done
  }
  trap stop_children EXIT

  mkdir -p "$XDG_CONFIG_HOME/sway" "$XDG_CONFIG_HOME/xdg-desktop-portal-wlr"
  cat >"$XDG_CONFIG_HOME/sway/config" <<EOF
output HEADLESS-1 resolution $size position 0 0
output HEADLESS-2 resolution 1280x800 position 4000 0
default_border none
default_floating_border none
focus_follows_mouse no
workspace 1 output HEADLESS-1
workspace 2 output HEADLESS-2
exec_always dbus-update-activation-environment WAYLAND_DISPLAY SWAYSOCK XDG_CURRENT_DESKTOP XDG_SESSION_TYPE
EOF
  cat >"$XDG_CONFIG_HOME/xdg-desktop-portal-wlr/config" <<EOF
[screencast]
chooser_type=none
output_name=HEADLESS-1
max_fps=30
EOF
  export WLR_BACKENDS=headless WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1 WLR_HEADLESS_OUTPUTS=2
  export XDG_CURRENT_DESKTOP=sway XDG_SESSION_TYPE=wayland
  unset DISPLAY WAYLAND_DISPLAY
  sway --unsupported-gpu -c "$XDG_CONFIG_HOME/sway/config" >"$logs/sway.log" 2>&1 &
  children+=("$!")
  # sway names its socket wayland-N in XDG_RUNTIME_DIR, and its IPC socket sway-ipc.*.sock.
  wait_for "sway" 100 sh -c 'ls "$XDG_RUNTIME_DIR"/wayland-[0-9] && ls "$XDG_RUNTIME_DIR"/sway-ipc.*.sock'
  WAYLAND_DISPLAY="$(basename "$(ls "$XDG_RUNTIME_DIR"/wayland-[0-9] | head -n1)")"
  SWAYSOCK="$(ls "$XDG_RUNTIME_DIR"/sway-ipc.*.sock | head -n1)"
  export WAYLAND_DISPLAY SWAYSOCK
  wait_for "sway's outputs" 100 sh -c 'swaymsg -t get_outputs | grep -q HEADLESS-2'
  dbus-update-activation-environment WAYLAND_DISPLAY SWAYSOCK XDG_CURRENT_DESKTOP XDG_SESSION_TYPE XDG_RUNTIME_DIR
  # An unlocked keyring (Secret Service) on this bus, as scripts/headless.sh has: the app keeps
  # its credential there, and the portal asks for it at start (locked, it would put a password
  # prompt window on the shared screen).
  keyring_env="$(printf pw | gnome-keyring-daemon --unlock --components=secrets)"
  while IFS='=' read -r key value; do
    [ -n "$key" ] && export "$key=$value"
  done <<<"$keyring_env"
  pipewire >"$logs/pipewire.log" 2>&1 &
  children+=("$!")
  wait_for "pipewire" 100 test -S "$XDG_RUNTIME_DIR/pipewire-0"
  wireplumber >"$logs/wireplumber.log" 2>&1 &
  children+=("$!")
  XDPW_PERSIST_MODE=permanent "$WAYLAND_PORTAL_WLR" -l DEBUG \
    -c "$XDG_CONFIG_HOME/xdg-desktop-portal-wlr/config" >"$logs/xdg-desktop-portal-wlr.log" 2>&1 &
  children+=("$!")
  wait_for "xdg-desktop-portal-wlr" 100 bus_has org.freedesktop.impl.portal.desktop.wlr
  /usr/libexec/xdg-desktop-portal -r >"$logs/xdg-desktop-portal.log" 2>&1 &
  children+=("$!")
  wait_for "xdg-desktop-portal" 100 bus_has org.freedesktop.portal.Desktop
  # The user's own folders: nothing from the desktop session is kept.
  mkdir -p "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
  status=0
  "$@" || status=$?
  exit "$status"
fi

[ -x /usr/bin/sway ] || die "sway is not installed: run scripts/deps.sh test"
[ -x /usr/libexec/xdg-desktop-portal ] || die "xdg-desktop-portal is not installed: run scripts/deps.sh test"
WAYLAND_PORTAL_WLR="$("$INSTANT_SHARE_ROOT/scripts/wayland-portal.sh")"
export WAYLAND_PORTAL_WLR

real_home="$HOME"
cargo_home="${CARGO_HOME:-$real_home/.cargo}"
rustup_home="${RUSTUP_HOME:-$real_home/.rustup}"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/instant-share-wayland.XXXXXX")"
logs="${WAYLAND_SESSION_LOGS:-$scratch/logs}"
mkdir -p "$scratch/home" "$scratch/runtime" "$scratch/config" "$scratch/data" "$scratch/cache" "$logs"
chmod 700 "$scratch/runtime"

run_as=()
if [ "$(id -u)" -eq 0 ]; then
  user="${WAYLAND_SESSION_USER:-nobody}"
  uid="$(id -u "$user")" || die "no user '$user' to run the Wayland session as"
  gid="$(id -g "$user")"
  chown -R "$uid:$gid" "$scratch/home" "$scratch/runtime" "$scratch/config" "$scratch/data" "$scratch/cache" "$logs"
  chmod 755 "$scratch"
  run_as=(setpriv "--reuid=$uid" "--regid=$gid" --clear-groups)
fi

cleanup() {
  local status=$?
  # Anything that outlived the bus (a daemon activated on it): found by its XDG_RUNTIME_DIR,
  # unique to this run, and ended by pid.
  stop_started_in "$scratch/runtime"
  if [ -z "${WAYLAND_SESSION_LOGS:-}" ]; then rm -rf "$scratch"; else rm -rf "$scratch/home" "$scratch/runtime" "$scratch/config" "$scratch/data" "$scratch/cache"; rmdir "$scratch" 2>/dev/null || true; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${run_as[@]}" env -i \
  PATH="$PATH" LANG="${LANG:-C.UTF-8}" TERM="${TERM:-dumb}" \
  HOME="$scratch/home" XDG_RUNTIME_DIR="$scratch/runtime" XDG_CONFIG_HOME="$scratch/config" \
  XDG_DATA_HOME="$scratch/data" XDG_CACHE_HOME="$scratch/cache" \
  CARGO_HOME="$cargo_home" RUSTUP_HOME="$rustup_home" CARGO_TARGET_DIR="$CARGO_TARGET_DIR" \
  INSTANT_SHARE_CACHE="$INSTANT_SHARE_CACHE" \
  WAYLAND_SESSION_SCRATCH="$scratch" WAYLAND_SESSION_LOGS="$logs" \
  WAYLAND_SESSION_SIZE="${WAYLAND_SESSION_SIZE:-1280x720}" WAYLAND_PORTAL_WLR="$WAYLAND_PORTAL_WLR" \
  RUST_LOG="${RUST_LOG:-}" \
  dbus-run-session -- "$INSTANT_SHARE_ROOT/scripts/wayland-session.sh" --inner "$@"
