#!/usr/bin/env bash
# Runs a command in the headless desktop that the app and its tests need:
#
#   scripts/headless.sh CMD [ARG...]
#
# - a temporary HOME (and XDG dirs), so nothing is written under the real one; CARGO_HOME and
#   RUSTUP_HOME keep pointing at the real toolchain;
# - a new kernel session keyring (`keyctl session -`) for keyring's keyutils store;
# - a private D-Bus session bus (`dbus-run-session`) with gnome-keyring-daemon unlocked, for the
#   Secret Service store;
# - Xvfb on a free display (1280x800x24), exported as DISPLAY.
#
# Everything it starts is stopped when CMD ends, also when it fails or is interrupted. The exit
# status is CMD's. With HEADLESS_KEEP_DISPLAY set, Xvfb is not started and the current DISPLAY
# is used.
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=common.sh
. "$INSTANT_SHARE_ROOT/scripts/common.sh"

[ $# -gt 0 ] || die "usage: scripts/headless.sh CMD [ARG...]"

if [ "${1:-}" = "--inner" ]; then
  # Second stage, inside `keyctl session -` and `dbus-run-session`.
  shift
  # gnome-keyring-daemon daemonizes, serves org.freedesktop.secrets on this bus, and exits when
  # the bus goes away.
  keyring_env="$(printf pw | gnome-keyring-daemon --unlock --components=secrets)"
  # Its output is KEY=value lines (GNOME_KEYRING_CONTROL, SSH_AUTH_SOCK).
  while IFS='=' read -r key value; do
    [ -n "$key" ] && export "$key=$value"
  done <<<"$keyring_env"
  "$@"
  exit $?
fi

# An X11 session, whatever the caller's desktop is: the screen capture follows the session
# type (scripts/wayland-session.sh is the Wayland one).
export XDG_SESSION_TYPE=x11
unset WAYLAND_DISPLAY

real_home="$HOME"
export CARGO_HOME="${CARGO_HOME:-$real_home/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$real_home/.rustup}"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/instant-share-headless.XXXXXX")"
xvfb_pid=""

cleanup() {
  local status=$?
  # Anything still running that was started in this environment (a daemon that outlived the
  # bus): find it by its XDG_RUNTIME_DIR, which is unique to this run, and end it by pid.
  stop_started_in "$scratch/runtime"
  if [ -n "$xvfb_pid" ]; then
    kill "$xvfb_pid" 2>/dev/null || true
    wait "$xvfb_pid" 2>/dev/null || true
  fi
  rm -rf "$scratch"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$scratch/home" "$scratch/runtime"
chmod 700 "$scratch/runtime"
export HOME="$scratch/home"
export XDG_RUNTIME_DIR="$scratch/runtime"
export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share" XDG_CACHE_HOME="$HOME/.cache"
unset DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL SSH_AUTH_SOCK
export NO_AT_BRIDGE=1

if [ -z "${HEADLESS_KEEP_DISPLAY:-}" ] || [ -z "${DISPLAY:-}" ]; then
  # -displayfd: Xvfb picks a free display itself and writes its number once it is ready.
  displayfd_file="$scratch/display"
  # -noreset: by default the server resets when its last client disconnects, and a client
  # connecting during that reset gets "connection reset by peer" (tests connect and disconnect
  # all the time).
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset 3>"$displayfd_file" \
    >"$scratch/xvfb.log" 2>&1 &
  xvfb_pid=$!
  for _ in $(seq 1 100); do
    [ -s "$displayfd_file" ] && break
    kill -0 "$xvfb_pid" 2>/dev/null || { cat "$scratch/xvfb.log" >&2; die "Xvfb did not start"; }
    sleep 0.1
  done
  [ -s "$displayfd_file" ] || die "Xvfb did not report a display within 10 s"
  DISPLAY=":$(tr -d '[:space:]' <"$displayfd_file")"
  export DISPLAY
  say "Xvfb on DISPLAY=$DISPLAY (1280x800x24)"
fi

# In the background and waited for, so that a signal to this script is handled at once.
keyctl session - dbus-run-session -- "$BASH" "$INSTANT_SHARE_ROOT/scripts/headless.sh" --inner "$@" &
status=0
wait "$!" || status=$?
exit "$status"
