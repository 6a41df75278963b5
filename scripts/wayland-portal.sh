#!/usr/bin/env bash
# Prints the path of an xdg-desktop-portal-wlr that can share a screen without a GPU, building
# it first if the cache has none:
#
#   scripts/wayland-portal.sh
#
# Debian's xdg-desktop-portal-wlr 0.7.0 refuses ScreenCast Start on sway's pixman renderer
# (see scripts/patches/xdg-desktop-portal-wlr-shm-only.patch). This fetches Debian's own source
# package of the installed version (deb-src through a private apt configuration: the system's
# sources are not changed), applies the patch and builds it with meson (~20 s). The binary is
# cached under $INSTANT_SHARE_CACHE/xdg-desktop-portal-wlr/, keyed by the source version and
# the patch, so a new Debian version or a changed patch builds again.
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=common.sh
. "$INSTANT_SHARE_ROOT/scripts/common.sh"

patch_file="$INSTANT_SHARE_ROOT/scripts/patches/xdg-desktop-portal-wlr-shm-only.patch"
version="$(dpkg-query -W -f='${Version}' xdg-desktop-portal-wlr 2>/dev/null || true)"
[ -n "$version" ] || die "xdg-desktop-portal-wlr is not installed: run scripts/deps.sh test"
key="$version-$(sha256sum "$patch_file" | cut -c1-16)"
root="$INSTANT_SHARE_CACHE/xdg-desktop-portal-wlr"
binary="$root/$key/xdg-desktop-portal-wlr"
if [ -x "$binary" ]; then
  printf '%s\n' "$binary"
  exit 0
fi

mkdir -p "$root"
# One build at a time; a second caller waits and then finds the binary.
exec 9>"$root/.lock"
flock 9
if [ -x "$binary" ]; then
  printf '%s\n' "$binary"
  exit 0
fi

say "building xdg-desktop-portal-wlr $version with $(basename "$patch_file") (cached: $root/$key)"
work="$(mktemp -d "${TMPDIR:-/tmp}/xdpw-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial"
printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
  "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" "$(. /etc/os-release && echo "$VERSION_CODENAME")" \
  >"$work/apt/sources.list"
apt_private=(-o "Dir::Etc::SourceList=$work/apt/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
  -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache" -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root")
apt-get "${apt_private[@]}" -q update >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; die "the deb-src index could not be fetched"; }
(cd "$work" && apt-get "${apt_private[@]}" -q source --download-only "xdg-desktop-portal-wlr=$version") >>"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log" >&2; die "the source package xdg-desktop-portal-wlr=$version could not be fetched"; }
(cd "$work" && dpkg-source --no-check -x ./*.dsc src) >/dev/null
(cd "$work/src" && patch -p1 --quiet <"$patch_file") || die "the patch no longer applies to $version"
(cd "$work/src" && meson setup build --buildtype=release -Dsystemd=disabled -Dman-pages=disabled >"$work/meson.log" 2>&1 &&
  ninja -C build >>"$work/meson.log" 2>&1) || { cat "$work/meson.log" >&2; die "xdg-desktop-portal-wlr did not build"; }
mkdir -p "$root/$key"
install -m 755 "$work/src/build/xdg-desktop-portal-wlr" "$binary.tmp"
mv "$binary.tmp" "$binary"
printf '%s\n' "$binary"
