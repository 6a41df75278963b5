#!/usr/bin/env bash
# Builds the Linux packages and proves the .deb in a clean Debian root:
#
#   scripts/package-test.sh [--no-build]      (as root: it uses chroot and mounts)
#
# 1. `tauri build --bundles deb,rpm`: the release build of the app and both packages (in
#    $CARGO_TARGET_DIR/release/bundle). --no-build reuses the packages already there.
# 2. The packages' dependencies against the binary (scripts/package-deps.sh): every library the
#    binary links or loads is declared, in the .deb (Debian names, from dpkg-shlibdeps) and the
#    .rpm (library capabilities, read back with `rpm -qpR`).
# 3. A minimal Debian root (debootstrap --variant=minbase, the machine's own suite and
#    architecture), made once and kept as a tarball in $INSTANT_SHARE_CACHE/debootstrap, unpacked
#    afresh for every run. Inside it, with the distribution's package manager: the .deb's Depends
#    and nothing else (`apt-get satisfy`, no recommends), a file list of the root, then
#    `apt-get install ./instant-share_*.deb`, which must add only our package.
# 4. tests/package.test.mjs: the installed /usr/bin/instant-share, started inside the root under
#    Xvfb, enrols and starts a share against a host on this machine (see "Display and driver");
#    then it updates itself to the next version served by that host (see "Updates").
# 5. `apt-get purge instant-share`, and the file list again: nothing may be left or gone but the
#    user's own data (the test user's home, listed).
#
# Updates: the release's updater key is not here (its private half is a secret of the release
# workflow), so the build makes a throwaway key (`tauri signer generate`) and builds the package
# with that key's public half instead of `plugins > updater > pubkey`. Then it builds the same
# app as the next patch version, its .deb signed with the throwaway key
# (`createUpdaterArtifacts`), and writes `latest.json` for it (scripts/update-manifest.mjs) into a
# directory the test's host serves (`serve --updates-dir`). The private key is deleted with the
# work directory. The second build leaves that version's binary in $CARGO_TARGET_DIR; the next
# plain cargo build sees TAURI_CONFIG change and rebuilds the app crate.
#
# Display and driver: the app runs inside the root, chrooted, with only what the package
# declared; the test tools stay outside. Xvfb, the D-Bus session bus with its Secret Service
# (gnome-keyring) and tauri-driver with WebKitWebDriver run outside, as for the other app
# suites (scripts/headless.sh); WebKitWebDriver starts the app through a small launcher that
# chroots into the root, and talks to it over loopback TCP (the root shares the machine's
# network). /tmp is bind-mounted into the root so the app reaches the X server's and the bus's
# sockets. Installing Xvfb, a keyring or the driver inside the root would pull in libraries
# (WebKit itself, with the driver) that could hide a missing dependency of the package.
#
# Everything mounted lives in a private mount namespace (unshare) and goes with it; the root is
# deleted at the end. Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian),
# PACKAGE_TEST_SUITE (default: this machine's codename), KEEP_PACKAGE_ROOT=1 keeps the root.
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=common.sh
. "$INSTANT_SHARE_ROOT/scripts/common.sh"
cd "$INSTANT_SHARE_ROOT"

mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security_mirror="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
# shellcheck disable=SC1091
suite="${PACKAGE_TEST_SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-}")}"
arch="$(dpkg --print-architecture)"
# PACKAGE_TEST_PROFILE=debug: package the debug build instead (`tauri build --debug`), quicker
# when working on this script; the release build is what users get.
profile="${PACKAGE_TEST_PROFILE:-release}"
case "$profile" in
  release) profile_flags=() ;;
  debug) profile_flags=(--debug) ;;
  *) die "PACKAGE_TEST_PROFILE must be release or debug, not '$profile'" ;;
esac
bundle_dir="$CARGO_TARGET_DIR/$profile/bundle"
# The app runs as root inside the root (the D-Bus session bus and the keyring outside accept
# only their own user), so the user's own data, which may stay after the purge, is under root's
# home: what the app writes under $HOME and what libraries write under the passwd home (Mesa's
# shader cache).
user_home=/root

# Second stage: inside `unshare --mount`, with the root unpacked at $2.
if [ "${1:-}" = "--inner" ]; then
  root="$2"
  deb="$3"
  updates_dir="$4"
  update_version="$5"
  work="$(dirname -- "$root")"
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount --rbind /sys "$root/sys"
  mount --bind /tmp "$root/tmp"
  mkdir -p "$INSTANT_SHARE_CACHE/debootstrap/archives-$suite-$arch/partial"
  mount --bind "$INSTANT_SHARE_CACHE/debootstrap/archives-$suite-$arch" "$root/var/cache/apt/archives"
  in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }
  # shellcheck disable=SC2016 # a dpkg-query format, not a shell expansion
  packages() { in_root dpkg-query -W -f '${Package}\n' | sort; }
  # The root's files, except the kernel's, the mounts and apt's download cache.
  file_list() {
    (cd "$root" && find . \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp \
      -o -path ./var/cache/apt/archives \) -prune -o -print | LC_ALL=C sort)
  }

  say "root: apt-get update"
  in_root apt-get update -q >"$work/apt-update.log" 2>&1 || { cat "$work/apt-update.log" >&2; die "apt-get update failed in the root"; }
  depends="$(dpkg-deb -f "$deb" Depends)"
  say "root: the package's dependencies alone: apt-get satisfy '$depends'"
  in_root apt-get satisfy -y -q --no-install-recommends "$depends" >"$work/apt-satisfy.log" 2>&1 ||
    { tail -30 "$work/apt-satisfy.log" >&2; die "the .deb's Depends cannot be satisfied from $suite"; }
  # sudo, for the update: the updater installs a .deb with `pkexec dpkg -i`, else a password
  # dialog and `sudo -S`, else `sudo dpkg -i`; the machines IT manages have sudo or pkexec, a
  # minimal root has neither. The app runs as root here, so sudo asks nothing. Nothing the app
  # links comes with it (libaudit, libpam, libselinux), so it cannot hide a missing Depends.
  say "root: apt-get install sudo (the updater's way to run dpkg)"
  in_root apt-get install -y -q --no-install-recommends sudo >"$work/apt-sudo.log" 2>&1 ||
    { tail -30 "$work/apt-sudo.log" >&2; die "apt-get install sudo failed in the root"; }
  packages >"$work/packages-before"
  file_list >"$work/files-before"

  say "root: apt-get install ./$(basename -- "$deb")"
  cp "$deb" "$root/tmp/$(basename -- "$deb")"
  in_root apt-get install -y -q --no-install-recommends "/tmp/$(basename -- "$deb")" >"$work/apt-install.log" 2>&1 ||
    { tail -30 "$work/apt-install.log" >&2; die "apt-get install of the .deb failed in the root"; }
  rm -f "$root/tmp/$(basename -- "$deb")"
  packages >"$work/packages-installed"
  added="$(comm -13 "$work/packages-before" "$work/packages-installed" | tr '\n' ' ')"
  [ "$added" = "instant-share " ] || die "installing the .deb added more than instant-share: $added(its Depends missed something that apt then pulled in)"
  in_root test -x /usr/bin/instant-share || die "the package has no /usr/bin/instant-share"
  # Every library the installed binary needs resolves inside the root.
  if in_root ldd /usr/bin/instant-share | grep 'not found'; then
    die "libraries of /usr/bin/instant-share are missing in the root: the package's Depends are incomplete"
  fi

  # The launcher WebKitWebDriver starts: the installed app, inside the root, as the test user
  # would run it (their home; the display, the bus and the driver's variables from outside).
  launcher="$work/instant-share-in-root"
  cat >"$launcher" <<EOF
#!/bin/sh
exec chroot '$root' /usr/bin/env -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u XDG_CACHE_HOME \\
  HOME='$user_home' /usr/bin/instant-share "\$@"
EOF
  chmod +x "$launcher"
  say "the installed app, driven from outside the root"
  status=0
  INSTANT_SHARE_APP_BIN="$launcher" PACKAGE_TEST_ROOT="$root" PACKAGE_TEST_USER_HOME="$root$user_home" \
    PACKAGE_TEST_UPDATES_DIR="$updates_dir" PACKAGE_TEST_UPDATE_VERSION="$update_version" \
    "$INSTANT_SHARE_ROOT/scripts/e2e.sh" package || status=$?
  [ "$status" -eq 0 ] || die "the installed app's suite failed (status $status)"
  # shellcheck disable=SC2016 # a dpkg-query format, not a shell expansion
  installed="$(in_root dpkg-query -W -f '${Version}' instant-share)"
  [ "$installed" = "$update_version" ] || die "after the update the root has instant-share $installed, not $update_version"
  say "root: the app updated itself to $installed"

  say "root: apt-get purge instant-share"
  in_root apt-get purge -y -q instant-share >"$work/apt-purge.log" 2>&1 ||
    { tail -30 "$work/apt-purge.log" >&2; die "apt-get purge instant-share failed"; }
  packages >"$work/packages-after"
  cmp -s "$work/packages-before" "$work/packages-after" || die "the packages after the purge differ from before the install"
  file_list >"$work/files-after"
  left="$(comm -13 "$work/files-before" "$work/files-after" | grep -v "^\.$user_home/" || true)"
  gone="$(comm -23 "$work/files-before" "$work/files-after" || true)"
  say "the user's own data, which stays: $(comm -13 "$work/files-before" "$work/files-after" | grep -c "^\.$user_home/" || true) files under $user_home, e.g.:"
  comm -13 "$work/files-before" "$work/files-after" | grep "^\.$user_home/" | grep -v '/\.cache/' | head -20 >&2 || true
  if [ -n "$left" ] || [ -n "$gone" ]; then
    [ -z "$left" ] || printf 'left behind by install, use and purge:\n%s\n' "$left" >&2
    [ -z "$gone" ] || printf 'removed although not ours:\n%s\n' "$gone" >&2
    die "the purge did not restore the root"
  fi
  say "the purge left nothing but the user's own data"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die "scripts/package-test.sh needs root (debootstrap, chroot, mounts)"
[ -n "$suite" ] || die "cannot tell this machine's Debian suite: set PACKAGE_TEST_SUITE (e.g. bookworm)"
for tool in debootstrap rpm dpkg-shlibdeps unshare chroot; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing: run scripts/deps.sh test"
done

build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    *) die "unknown argument '$arg'" ;;
  esac
done

work="$(mktemp -d /var/tmp/instant-share-package.XXXXXX)"
cleanup() {
  local status=$?
  if [ -n "${KEEP_PACKAGE_ROOT:-}" ]; then
    rm -rf "$work/signing"
    say "kept the root: $work/root"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT

version="$(node -p 'require("./tauri.conf.json").version')"
# The release the installed app updates itself to: the next patch version.
# shellcheck disable=SC2016 # JavaScript, not a shell expansion
update_version="$(node -p 'const [a, b, c] = require("./tauri.conf.json").version.split(/[.+-]/); `${a}.${b}.${Number(c) + 1}`')"
# Its .deb and .sig and latest.json, kept with the bundles for --no-build.
updates_dir="$bundle_dir/update-test"
tauri=(env TAURI_APP_PATH=src-tauri TAURI_FRONTEND_PATH=ui ui/node_modules/.bin/tauri)
if [ "$build" -eq 1 ]; then
  [ -x ui/node_modules/.bin/tauri ] || die "ui/node_modules has no Tauri CLI: run scripts/deps.sh build"
  mkdir -m 700 "$work/signing"
  "${tauri[@]}" signer generate --ci -p '' -w "$work/signing/update.key" >"$work/signing/generate.log" 2>&1 ||
    { cat "$work/signing/generate.log" >&2; die "tauri signer generate failed"; }
  pubkey="$(cat "$work/signing/update.key.pub")"
  pubkey_config="\"plugins\":{\"updater\":{\"pubkey\":\"$pubkey\"}}"

  say "tauri build --bundles deb,rpm ($profile build of the app $version, then the packages; the test's updater key)"
  rm -rf "$bundle_dir/deb" "$bundle_dir/rpm" "$updates_dir"
  start=$SECONDS
  "${tauri[@]}" build --ci "${profile_flags[@]}" --bundles deb,rpm --config "{$pubkey_config}"
  say "$profile build and packages: $((SECONDS - start)) s"
fi
debs=("$bundle_dir"/deb/*.deb)
rpms=("$bundle_dir"/rpm/*.rpm)
[ -f "${debs[0]}" ] || die "no .deb in $bundle_dir/deb: build it (scripts/package-test.sh without --no-build)"
[ -f "${rpms[0]}" ] || die "no .rpm in $bundle_dir/rpm: build it (scripts/package-test.sh without --no-build)"
deb="${debs[0]}" rpm="${rpms[0]}"
ls -l "$deb" "$rpm" >&2

"$INSTANT_SHARE_ROOT/scripts/package-deps.sh" "$CARGO_TARGET_DIR/$profile/instant-share" "$deb" "$rpm"

if [ "$build" -eq 1 ]; then
  # The update: the same app as $update_version, only its .deb, signed. The UI in ui/dist is
  # the one just built (no beforeBuildCommand).
  say "tauri build --bundles deb of $update_version, signed with the test's updater key (the update)"
  start=$SECONDS
  TAURI_SIGNING_PRIVATE_KEY="$(cat "$work/signing/update.key")" TAURI_SIGNING_PRIVATE_KEY_PASSWORD='' \
    "${tauri[@]}" build --ci "${profile_flags[@]}" --bundles deb --config \
    "{\"version\":\"$update_version\",\"build\":{\"beforeBuildCommand\":null},\"bundle\":{\"createUpdaterArtifacts\":true},$pubkey_config}"
  rm -rf "$work/signing"
  mkdir -p "$updates_dir"
  update_debs=("$bundle_dir"/deb/*_"${update_version}"_*.deb)
  [ -f "${update_debs[0]}.sig" ] || die "the build of $update_version made no signed .deb in $bundle_dir/deb"
  # Named as the release publishes it (scripts/release-build.sh: no spaces).
  for file in "${update_debs[0]}" "${update_debs[0]}.sig"; do
    name="$(basename -- "$file")"
    mv "$file" "$updates_dir/${name// /.}"
  done
  # The URL is the release's; the host points it at itself.
  node scripts/update-manifest.mjs --version "$update_version" --base-url https://releases.example.com/instant-share \
    --notes "Instant Share $update_version: the package test's update." "$updates_dir" >"$updates_dir/latest.json"
  say "the update ($update_version): $((SECONDS - start)) s"
fi
[ -f "$updates_dir/latest.json" ] || die "no update in $updates_dir: build it (scripts/package-test.sh without --no-build)"

# The bare root, made once per suite and architecture.
cache="$INSTANT_SHARE_CACHE/debootstrap"
tarball="$cache/$suite-$arch-minbase.tar"
mkdir -p "$cache"
if [ ! -f "$tarball" ]; then
  say "debootstrap --variant=minbase $suite ($arch) from $mirror, kept as $tarball"
  start=$SECONDS
  fresh="$(mktemp -d "$cache/fresh.XXXXXX")"
  unshare --mount --propagation private -- debootstrap --variant=minbase --arch="$arch" \
    "$suite" "$fresh/root" "$mirror" >"$fresh/debootstrap.log" 2>&1 ||
    { tail -30 "$fresh/debootstrap.log" >&2; rm -rf "$fresh"; die "debootstrap failed"; }
  # Security and point-release updates too, as on any installed system (and so the WebKit in
  # the root is the same as the machine's, whose WebKitWebDriver drives it).
  cat >"$fresh/root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security_mirror $suite-security main
EOF
  rm -rf "$fresh/root/var/cache/apt/archives"/*.deb "$fresh/root/var/lib/apt/lists"/*_Packages
  tar -C "$fresh/root" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$fresh"
  say "debootstrap: $((SECONDS - start)) s"
fi

mkdir "$work/root"
tar -C "$work/root" -xf "$tarball"
# The root's own resolver settings, for apt.
cp /etc/resolv.conf "$work/root/etc/resolv.conf"
unshare --mount --propagation private -- "$BASH" "$INSTANT_SHARE_ROOT/scripts/package-test.sh" --inner "$work/root" "$deb" "$updates_dir" "$update_version"
