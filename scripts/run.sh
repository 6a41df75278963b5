#!/usr/bin/env bash
# `make run`: builds and starts the whole product on this machine.
#
# - the help host on http://127.0.0.1:8080 with a demo expert and a fresh enrolment code,
#   records in .data/instant-share.sqlite3, the console and co-browse site from ui/dist;
# - the desktop app, with the host's address prefilled (INSTANT_SHARE_HOST_URL). Without a
#   desktop ($DISPLAY unset) the app runs under Xvfb and this script says how to look at it.
#
# Ctrl-C stops both. INSTANT_SHARE_RUN_LISTEN changes the host's address (127.0.0.1:8080).
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=common.sh
. "$INSTANT_SHARE_ROOT/scripts/common.sh"
cd "$INSTANT_SHARE_ROOT"

listen="${INSTANT_SHARE_RUN_LISTEN:-127.0.0.1:8080}"
host_url="http://$listen"
groups=(build run)
[ -n "${DISPLAY:-}" ] || groups+=(headless)
scripts/deps.sh "${groups[@]}"

say "building the UI (npm run build in ui/)"
(cd ui && npm run build)

packages=(-p instant-share-host)
with_app=0
if workspace_has instant-share; then
  packages+=(-p instant-share)
  with_app=1
  mapfile -t features < <(app_features)
else
  features=()
  say "the app (instant-share) is not in this workspace yet: only the host will run"
fi
say "building (cargo build ${packages[*]} ${features[*]})"
cargo build "${packages[@]}" "${features[@]}"

host_bin="$CARGO_TARGET_DIR/debug/instant-share-host"
app_bin="$CARGO_TARGET_DIR/debug/instant-share"
mkdir -p .data
host_log=.data/host.log

host_pid="" app_pid=""
stop() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then
    say "stopping the app"
    kill -TERM "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
  fi
  if [ -n "$host_pid" ] && kill -0 "$host_pid" 2>/dev/null; then
    say "stopping the host"
    kill -TERM "$host_pid" 2>/dev/null || true
    wait "$host_pid" 2>/dev/null || true
  fi
  exit "$status"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "starting the host (log: $host_log)"
"$host_bin" serve --demo --listen "$listen" --database .data/instant-share.sqlite3 \
  --public-url "$host_url" --ui-dir ui/dist >"$host_log" 2>&1 &
host_pid=$!

# Wait for the line the host prints once it accepts connections.
for _ in $(seq 1 300); do
  grep -q 'instant-share-host listening on ' "$host_log" && break
  if ! kill -0 "$host_pid" 2>/dev/null; then
    cat "$host_log" >&2
    die "the host stopped at start (is $listen in use?)"
  fi
  sleep 0.1
done
grep -q 'instant-share-host listening on ' "$host_log" || die "the host did not start listening within 30 s (see $host_log)"
demo_login="$(grep -o 'demo expert: .*' "$host_log" | head -n1 | sed 's/^demo expert: //')"
code="$(grep -o 'enrolment code: [A-Za-z0-9-]*' "$host_log" | tail -n1 | sed 's/^enrolment code: //')"

cat <<INFO

  Instant Share is running.

  Expert console:   $host_url/console
  Demo expert:      ${demo_login:-demo / demo-password}   (username / password)
  Enrolment code:   ${code:-(not printed by the host: see $host_log)}
                    (the app asks for it once, with the host address $host_url)
  Host log:         $host_log

  Press Ctrl-C to stop the host and the app.

INFO

export INSTANT_SHARE_HOST_URL="$host_url"
if [ "$with_app" -eq 0 ]; then
  :
elif [ -n "${DISPLAY:-}" ]; then
  "$app_bin" &
  app_pid=$!
else
  say "no \$DISPLAY: starting the app under Xvfb (a virtual screen)"
  # shellcheck disable=SC2016 # expanded by the inner shell, where DISPLAY is Xvfb's
  scripts/headless.sh sh -c 'printf "\n  The app runs on the virtual screen DISPLAY=%s. To see it:\n    DISPLAY=%s /usr/bin/import -window root /tmp/instant-share.png\n\n" "$DISPLAY" "$DISPLAY"; exec "$0"' "$app_bin" &
  app_pid=$!
fi

# Run until Ctrl-C. If the app is quit, the host stays up for the console.
while kill -0 "$host_pid" 2>/dev/null; do
  if [ -n "$app_pid" ] && ! kill -0 "$app_pid" 2>/dev/null; then
    wait "$app_pid" 2>/dev/null || true
    app_pid=""
    say "the app has quit; the host keeps running (Ctrl-C to stop)"
  fi
  wait -n 2>/dev/null || true
done
wait "$host_pid" || die "the host stopped (see $host_log)"
