#!/usr/bin/env bash
# App figures for BENCHMARKS.md: release binary and .deb size, cold start to a usable window,
# idle memory. Builds the release app with the embedded UI and the .deb first.
#
#   scripts/bench-app.sh [--runs N] [--idle-secs S] [--no-build]
#
# Start-up runs under scripts/headless.sh (Xvfb, D-Bus session, unlocked keyring). Every run is
# a first launch: a fresh config dir (INSTANT_SHARE_CONFIG_DIR) and fresh XDG data and cache
# dirs, so the window shows the enrol form. "Usable" is the moment the enrol form is on screen:
# an X DAMAGE watcher grabs the screen after every draw, and the run counts up to the draw after
# which the screen no longer changes (1.5 s of quiet after the UI asked for its state). The app's
# log gives the steps before it: `starting` (Tauri's setup, after the window was created),
# `global shortcut registered` (tray and shortcut done) and `ui asked for state` (the UI has
# mounted and calls `get_state`). With root, the first run follows a page-cache drop.
#
# Output (logs, the screenshots of the enrol form) lands in $CARGO_TARGET_DIR/bench-app.
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=common.sh
. "$INSTANT_SHARE_ROOT/scripts/common.sh"
cd "$INSTANT_SHARE_ROOT"

TAURI_CLI="@tauri-apps/cli@2.12.5"
APP_BIN="$CARGO_TARGET_DIR/release/instant-share"
SETTLE_SECS=1.5
PYTHON=/usr/bin/python3

# ---------------------------------------------------------------------------------------------
# Inner stage: inside scripts/headless.sh. Writes runs.tsv, memory.tsv and notes into $out.
# ---------------------------------------------------------------------------------------------

app_pid=""
watch_pid=""
app_procs=()

# descendants PID: PID and every process below it, by PPid in /proc/*/stat.
descendants() {
  local -A children=()
  local stat pid rest ppid
  for stat in /proc/[0-9]*/stat; do
    read -r rest 2>/dev/null <"$stat" || continue
    pid="${rest%% *}"
    rest="${rest##*) }" # after "(comm) ", which may hold spaces: "STATE PPID ..."
    read -r _ ppid _ <<<"$rest"
    children[$ppid]+=" $pid"
  done
  local queue=("$1") found=() p
  while [ "${#queue[@]}" -gt 0 ]; do
    p="${queue[0]}"
    queue=("${queue[@]:1}")
    found+=("$p")
    # shellcheck disable=SC2206 # word splitting of the pid list is intended
    [ -z "${children[$p]:-}" ] || queue+=(${children[$p]})
  done
  printf '%s\n' "${found[@]}"
}

# stop_app: ends the app and every process it started (WebKit's helpers), by pid.
stop_app() {
  if [ -n "$watch_pid" ]; then
    kill "$watch_pid" 2>/dev/null || true
    wait "$watch_pid" 2>/dev/null || true
    watch_pid=""
  fi
  [ -n "$app_pid" ] || return 0
  local pids=()
  mapfile -t pids < <(descendants "$app_pid")
  pids+=("${app_procs[@]}")
  kill -TERM "${pids[@]}" 2>/dev/null || true
  local _
  for _ in $(seq 50); do
    any_alive "${pids[@]}" || break
    sleep 0.1
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
  wait "$app_pid" 2>/dev/null || true
  app_pid=""
  app_procs=()
}

# launch DIR [PNG]: a first launch of the app with its profile in DIR, watched until the enrol
# form has settled on screen. Leaves the app running (app_pid); DIR/result holds the milestones.
launch() {
  local dir="$1" png="${2:-}"
  rm -rf "$dir"
  mkdir -p "$dir/config" "$dir/data" "$dir/cache"
  "$PYTHON" "$out/watch.py" "$dir/app.log" "$dir/t0" "$dir/result" "$dir/ready" "$png" \
    "$out/reference.raw" "$SETTLE_SECS" 60 2>"$dir/watch.err" &
  watch_pid=$!
  local _
  for _ in $(seq 200); do
    [ -e "$dir/ready" ] && break
    any_alive "$watch_pid" || { cat "$dir/watch.err" >&2; die "the screen watcher did not start"; }
    sleep 0.05
  done
  [ -e "$dir/ready" ] || die "the screen watcher did not start within 10 s"
  if [ "${DROP_CACHES:-}" = 1 ]; then
    sync
    echo 3 >/proc/sys/vm/drop_caches
  fi
  (
    export INSTANT_SHARE_CONFIG_DIR="$dir/config"
    export XDG_DATA_HOME="$dir/data" XDG_CACHE_HOME="$dir/cache"
    export INSTANT_SHARE_HOST_URL="https://help.example.invalid"
    unset RUST_LOG
    printf '%s\n' "$EPOCHREALTIME" >"$dir/t0"
    exec "$APP_BIN"
  ) >"$dir/app.out" 2>"$dir/app.log" &
  app_pid=$!
  local status=0
  wait "$watch_pid" || status=$?
  watch_pid=""
  if [ "$status" -ne 0 ]; then
    cat "$dir/watch.err" >&2
    echo "--- app log:" >&2
    cat "$dir/app.log" >&2
    die "run $dir: the enrol form did not settle on screen"
  fi
  # Helpers that left the tree (reparented) still count as the app's: remember them now.
  mapfile -t app_procs < <(descendants "$app_pid")
}

measure() {
  out="$1" runs="$2" idle="$3"
  trap stop_app EXIT
  printf 'run\tcache\tsetup_ms\ttray_shortcut_ms\tfirst_draw_ms\tui_ms\tusable_ms\tframes\tdiff_px\tshortcut\n' \
    >"$out/runs.tsv"

  # The first run after a page-cache drop, when this sandbox allows it.
  if (sync && echo 3 >/proc/sys/vm/drop_caches) 2>/dev/null; then
    echo "drop_caches=yes" >>"$out/notes"
    say "run 0: after dropping the page cache"
    DROP_CACHES=1 launch "$out/run-0" "$out/enrol-form.png"
    stop_app
    printf '0\tcold\t%s\n' "$(cat "$out/run-0/result")" >>"$out/runs.tsv"
  else
    echo "drop_caches=no" >>"$out/notes"
    say "cannot drop the page cache here: a warm-up run instead (not counted)"
    launch "$out/run-0" "$out/enrol-form.png"
    stop_app
  fi
  sleep 1

  local i
  for i in $(seq 1 "$runs"); do
    launch "$out/run-$i"
    stop_app
    printf '%s\twarm\t%s\n' "$i" "$(cat "$out/run-$i/result")" >>"$out/runs.tsv"
    say "run $i: usable after $(cut -f5 "$out/run-$i/result") ms"
    sleep 1
  done

  # Idle memory: one more launch, left alone for $idle s after it became usable.
  say "memory: waiting ${idle} s after the window became usable"
  launch "$out/memory" "$out/enrol-form-memory.png"
  sleep "$idle"
  local pid pids=() name pss rss
  mapfile -t pids < <(descendants "$app_pid")
  printf 'pid\tprocess\tpss_kb\trss_kb\n' >"$out/memory.tsv"
  for pid in "${pids[@]}"; do
    [ -r "/proc/$pid/smaps_rollup" ] || continue
    name="$(tr -d '\n' <"/proc/$pid/comm")"
    pss="$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")"
    rss="$(awk '/^Rss:/ {print $2}' "/proc/$pid/smaps_rollup")"
    printf '%s\t%s\t%s\t%s\n' "$pid" "$name" "${pss:-0}" "${rss:-0}" >>"$out/memory.tsv"
  done
  stop_app
}

if [ "${1:-}" = "--measure" ]; then
  measure "$2" "$3" "$4"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# Outer stage: build, sizes, then the measurements in the headless desktop, then the figures.
# ---------------------------------------------------------------------------------------------

runs=10
idle=10
build=1
command="bash scripts/bench-app.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --idle-secs) idle="$2"; shift 2 ;;
    --no-build) build=""; shift ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs takes a positive number"
[[ "$idle" =~ ^[0-9]+$ ]] || die "--idle-secs takes a number of seconds"
for tool in Xvfb dbus-run-session gnome-keyring-daemon keyctl "$PYTHON"; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing: run scripts/deps.sh"
done

out="$CARGO_TARGET_DIR/bench-app"
rm -rf "$out"
mkdir -p "$out"

# elapsed_since START: seconds since START ($EPOCHREALTIME), one decimal.
elapsed_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

deb_note=""
if [ -n "$build" ]; then
  ui_inputs=(ui/src ui/index.html ui/package.json ui/vite.config.ts ui/svelte.config.js)
  if [ ! -f ui/dist/index.html ] ||
     [ -n "$(find "${ui_inputs[@]}" -newer ui/dist/index.html -print -quit 2>/dev/null)" ]; then
    say "building the UI (ui/dist is missing or older than ui/src)"
    (cd ui && npm run build --silent) >"$out/ui-build.log" 2>&1 ||
      { cat "$out/ui-build.log" >&2; die "npm run build failed"; }
  fi
  say "building the release app (embedded UI)"
  t="$EPOCHREALTIME"
  cargo build --release -p instant-share --features "$INSTANT_SHARE_APP_FEATURES"
  say "release build: $(elapsed_since "$t") s"

  # This does not reuse the build above as it is: its beforeBuildCommand (npm run build)
  # rewrites ui/dist, which the app embeds, so cargo compiles the app crate again (not its
  # dependencies). Switching the hook off with --config does not help: that sets TAURI_CONFIG,
  # which tauri-build watches, with the same effect. The .deb holds this second build, and so
  # does $APP_BIN afterwards; it is the binary measured below.
  say "building the .deb (tauri build --bundles deb)"
  t="$EPOCHREALTIME"
  TAURI_APP_PATH=src-tauri TAURI_FRONTEND_PATH=ui npx --yes "$TAURI_CLI" build --bundles deb 2>&1 |
    tee "$out/tauri-build.log"
  deb_secs="$(elapsed_since "$t")"
  compiled="$(grep -c 'Compiling ' "$out/tauri-build.log" || true)"
  deb_note="tauri build took ${deb_secs} s after the release build; it compiled ${compiled} crate(s)"
  say "$deb_note"
fi

[ -x "$APP_BIN" ] || die "$APP_BIN is missing: run without --no-build"
deb="$(find "$CARGO_TARGET_DIR/release/bundle/deb" -name '*.deb' -printf '%T@ %p\n' 2>/dev/null |
  sort -n | tail -1 | cut -d' ' -f2-)"
[ -n "$deb" ] || die "no .deb in $CARGO_TARGET_DIR/release/bundle/deb: run without --no-build"

# The measurement's own helper: watches the screen through X DAMAGE (no polling while nothing
# draws) and reads the app's log. Arguments: LOG T0 RESULT READY PNG REFERENCE SETTLE TIMEOUT.
# The first run's final picture becomes REFERENCE; later runs count the pixels that differ.
cat >"$out/watch.py" <<'PY'
import ctypes, os, re, select, struct, sys, time, zlib
from datetime import datetime

log_path, t0_path, result_path, ready_path, png_path, ref_path = sys.argv[1:7]
settle, timeout = float(sys.argv[7]), float(sys.argv[8])
MARKERS = {"setup": "starting", "shortcut": "global shortcut", "ui": "ui asked for state"}

x11 = ctypes.CDLL("libX11.so.6")
xdamage = ctypes.CDLL("libXdamage.so.1")
vp, ul, ci = ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int
x11.XOpenDisplay.restype, x11.XOpenDisplay.argtypes = vp, [ctypes.c_char_p]
x11.XDefaultRootWindow.restype, x11.XDefaultRootWindow.argtypes = ul, [vp]
x11.XDisplayWidth.argtypes = x11.XDisplayHeight.argtypes = [vp, ci]
x11.XConnectionNumber.argtypes = x11.XPending.argtypes = [vp]
x11.XNextEvent.argtypes = [vp, vp]
x11.XSync.argtypes = [vp, ci]
xdamage.XDamageQueryExtension.argtypes = [vp, ctypes.POINTER(ci), ctypes.POINTER(ci)]
xdamage.XDamageCreate.restype, xdamage.XDamageCreate.argtypes = ul, [vp, ul, ci]


class XImage(ctypes.Structure):
    _fields_ = [(n, ci) for n in ("width", "height", "xoffset", "format")] + [("data", vp)] + [
        (n, ci) for n in ("byte_order", "bitmap_unit", "bitmap_bit_order", "bitmap_pad",
                          "depth", "bytes_per_line", "bits_per_pixel")]


x11.XGetImage.restype = ctypes.POINTER(XImage)
x11.XGetImage.argtypes = [vp, ul, ci, ci, ctypes.c_uint, ctypes.c_uint, ul, ci]
x11.XDestroyImage.argtypes = [ctypes.POINTER(XImage)]

dpy = x11.XOpenDisplay(None)
if not dpy:
    sys.exit("cannot open the display")
root = x11.XDefaultRootWindow(dpy)
width, height = x11.XDisplayWidth(dpy, 0), x11.XDisplayHeight(dpy, 0)
event_base, error_base = ci(), ci()
if not xdamage.XDamageQueryExtension(dpy, ctypes.byref(event_base), ctypes.byref(error_base)):
    sys.exit("the X server has no DAMAGE extension")
xdamage.XDamageCreate(dpy, root, 0)  # XDamageReportRawRectangles: an event for every draw
x11.XSync(dpy, 0)
fd = x11.XConnectionNumber(dpy)
event = ctypes.create_string_buffer(192)


def grab():
    image = x11.XGetImage(dpy, root, 0, 0, width, height, 0xFFFFFFFF, 2)  # ZPixmap
    data = ctypes.string_at(image.contents.data, image.contents.bytes_per_line * height)
    stride = image.contents.bytes_per_line
    x11.XDestroyImage(image)
    return data, stride


def save_png(path, data, stride):
    rows = bytearray()
    for y in range(height):
        row = data[y * stride:y * stride + width * 4]
        rgb = bytearray(width * 3)
        rgb[0::3], rgb[1::3], rgb[2::3] = row[2::4], row[1::4], row[0::4]
        rows += b"\0" + rgb

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + chunk(b"IEND", b""))


ansi = re.compile(r"\x1b\[[0-9;]*m")


def log_times():
    """The wall-clock time of the first log line with each marker."""
    found = {}
    try:
        text = open(log_path, errors="replace").read()
    except FileNotFoundError:
        return found
    for line in ansi.sub("", text).splitlines():
        for key, marker in MARKERS.items():
            if key not in found and marker in line:
                stamp = line.split()[0].replace("Z", "+00:00")
                found[key] = datetime.fromisoformat(stamp).timestamp()
                if key == "shortcut":
                    found["shortcut_ok"] = "registered" in line
    return found


open(ready_path, "w").close()
start = time.time()
frames = []  # (time of the draw, crc of the screen after it)
first_draw = None
ui_seen = None
last_draw = None
while True:
    now = time.time()
    if now - start > timeout:
        sys.exit(f"no settled enrol form within {timeout} s ({len(frames)} frames)")
    readable, _, _ = select.select([fd], [], [], 0.005)
    drew = False
    while x11.XPending(dpy):
        x11.XNextEvent(dpy, event)
        if struct.unpack_from("i", event.raw)[0] == event_base.value:  # XDamageNotify
            drew = True
    if drew:
        last_draw = time.time()
        if first_draw is None and os.path.exists(t0_path):
            first_draw = last_draw
        if first_draw is not None:
            frames.append((last_draw, zlib.crc32(grab()[0])))
    if ui_seen is None:
        if "ui" in log_times():
            ui_seen = time.time()
        continue
    if time.time() - max(ui_seen, last_draw or 0) >= settle:
        break

data, stride = grab()
final = zlib.crc32(data)
if not frames or frames[-1][1] != final:
    frames.append((time.time(), final))
usable = frames[-1][0]
for when, crc in reversed(frames):
    if crc != final:
        break
    usable = when
if png_path:
    save_png(png_path, data, stride)
if not os.path.exists(ref_path):
    with open(ref_path, "wb") as f:
        f.write(data)
ref = open(ref_path, "rb").read()
diff_px = 0
for y in range(height):
    a, b = data[y * stride:y * stride + width * 4], ref[y * stride:y * stride + width * 4]
    if a != b:
        diff_px += sum(a[x:x + 4] != b[x:x + 4] for x in range(0, width * 4, 4))
with open(result_path + ".frames", "w") as f:
    f.writelines(f"{(when - float(open(t0_path).read())) * 1000:.0f}\t{crc:08x}\n" for when, crc in frames)

t0 = float(open(t0_path).read())
times = log_times()
missing = [m for m in MARKERS if m not in times]
if missing:
    sys.exit(f"the app's log lacks {missing}")


def ms(t):
    return f"{(t - t0) * 1000:.0f}"


with open(result_path, "w") as f:
    f.write("\t".join([ms(times["setup"]), ms(times["shortcut"]), ms(first_draw), ms(times["ui"]),
                       ms(usable), str(len(frames)), str(diff_px),
                       "registered" if times["shortcut_ok"] else "failed"]) + "\n")
PY

say "waiting for a quiet machine is up to you: load average now $(cut -d' ' -f1-3 /proc/loadavg)"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
"$INSTANT_SHARE_ROOT/scripts/headless.sh" "$BASH" "$0" --measure "$out" "$runs" "$idle"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------------------------------------
# The figures.
# ---------------------------------------------------------------------------------------------

# mb BYTES: megabytes (10^6 bytes), one decimal.
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
# stats COLUMN: "p50 | p95 | min | max" of the warm runs (nearest rank).
stats() {
  awk -F'\t' -v c="$1" 'NR > 1 && $2 == "warm" { print $c }' "$out/runs.tsv" | sort -n |
    awk '{ v[NR] = $1 } END {
      i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++
      i95 = int(NR * 0.95); if (i95 < NR * 0.95) i95++
      printf "%s | %s | %s | %s", v[i50], v[i95], v[1], v[NR] }'
}
cold() { awk -F'\t' -v c="$1" 'NR > 1 && $2 == "cold" { print $c }' "$out/runs.tsv"; }

bin_bytes="$(stat -c %s "$APP_BIN")"
deb_bytes="$(stat -c %s "$deb")"
stripped="$(file -b "$APP_BIN" | grep -o 'not stripped\|stripped' | head -1)"
dropped="$(grep -q '^drop_caches=yes' "$out/notes" && echo yes || echo no)"
diff_px="$(awk -F'\t' 'NR > 1 && $9 > m { m = $9 } END { print m + 0 }' "$out/runs.tsv")"
shortcut="$(awk -F'\t' 'NR > 1 { print $10 }' "$out/runs.tsv" | sort -u | paste -sd/)"
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
mem_gib="$(free -g | awk '/^Mem:/ { print $2 }')"
commit="$(git describe --always --dirty 2>/dev/null || echo unknown)"

row() { # row LABEL COLUMN
  local c
  if [ "$dropped" = yes ]; then c="$(cold "$2")"; else c="n/a"; fi
  printf '| %s | %s | %s |\n' "$1" "$c" "$(stats "$2")"
}

{
  echo
  echo "### Desktop app"
  echo
  echo "Machine: $(nproc) cores (nproc), ${mem_gib} GiB RAM (free -g), ${cpu}, $(uname -sr);"
  echo "Xvfb 1280x800x24 in scripts/headless.sh, no GPU. Commit ${commit}. Load average"
  echo "${load_before} before the runs, ${load_after} after."
  echo
  echo "Command: \`${command}\`"
  echo
  echo "| figure | value |"
  echo "| --- | --- |"
  echo "| release binary \`instant-share\` (${stripped}) | ${bin_bytes} bytes ($(mb "$bin_bytes") MB) |"
  echo "| \`$(basename -- "$deb")\` | ${deb_bytes} bytes ($(mb "$deb_bytes") MB) |"
  [ -z "$deb_note" ] || echo "| \`tauri build --bundles deb\` after the release build | ${deb_secs} s, ${compiled} crate(s) compiled |"
  echo
  echo "Cold start of a first launch (fresh config, data and cache dirs: the enrol form), in ms"
  echo "after exec. **Usable** = the enrol form is on screen: the first frame of the final picture,"
  echo "watched through X DAMAGE (a screen grab after every draw; the picture then stays unchanged"
  echo "for ${SETTLE_SECS} s). Every run's final picture differs from the first run's in at most ${diff_px}"
  echo "of the 1280x800 screen's pixels (anti-aliasing; see enrol-form.png in the output folder)."
  if [ "$dropped" = yes ]; then
    echo "First run after \`sync; echo 3 > /proc/sys/vm/drop_caches\`, then ${runs} warm runs (p50/p95 nearest rank)."
  else
    echo "Dropping the page cache is not permitted here: one unmeasured warm-up run, then ${runs} warm"
    echo "runs (p50/p95 nearest rank)."
  fi
  echo
  echo "| milestone (ms after exec) | first (cold cache) | warm p50 | warm p95 | warm min | warm max |"
  echo "| --- | --- | --- | --- | --- | --- |"
  row "Tauri setup runs, window created (log \`starting\`)" 3
  row "tray and global shortcut installed (log \`global shortcut …\`, ${shortcut})" 4
  row "first draw on screen (X DAMAGE)" 5
  row "UI mounted, calls \`get_state\` (log \`ui asked for state\`)" 6
  row "**usable: enrol form on screen**" 7
  echo
  echo "Idle memory ${idle} s after the window became usable, summed over the app and every process"
  echo "below it (/proc/PID/smaps_rollup; MB = 10^6 bytes):"
  echo
  echo "| process | PSS MB | RSS MB |"
  echo "| --- | --- | --- |"
  awk -F'\t' 'NR > 1 {
      printf "| %s (pid %s) | %.1f | %.1f |\n", $2, $1, $3 * 1024 / 1e6, $4 * 1024 / 1e6
      pss += $3; rss += $4 }
    END { printf "| **total** | **%.1f** | %.1f (double-counts shared pages) |\n", pss * 1024 / 1e6, rss * 1024 / 1e6 }' \
    "$out/memory.tsv"
  echo
  echo "Per-run data, logs and the screenshot of the enrol form: $out"
} | tee "$out/figures.md"
