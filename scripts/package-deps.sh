#!/usr/bin/env bash
# Checks that the Linux packages declare every library the app needs:
#
#   scripts/package-deps.sh BINARY DEB RPM
#
# - the libraries BINARY links (its ELF NEEDED entries) and those it loads at run time
#   (`dlopen`, listed below: the tray's appindicator and the global shortcut's X libraries);
# - DEB: each such library's Debian package (dpkg-shlibdeps for the linked ones, `dpkg -S` for
#   the loaded ones) is in the .deb's Depends;
# - RPM: each library is required by its capability, `libfoo.so.N()(64bit)`, as rpmbuild would
#   generate it (`rpm -qpR`). Capabilities, not package names: Fedora and openSUSE name the
#   packages differently but both provide these.
#
# Run by scripts/package-test.sh and by the release workflow on the machine that built BINARY
# (the Debian package names and library versions are those of the build machine).
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=common.sh
. "$INSTANT_SHARE_ROOT/scripts/common.sh"

[ $# -eq 3 ] || die "usage: scripts/package-deps.sh BINARY DEB RPM"
binary="$1" deb="$2" rpm="$3"
for f in "$binary" "$deb" "$rpm"; do [ -f "$f" ] || die "no such file: $f"; done

# Libraries the app opens with dlopen, so no tool sees them: "soname|alternative soname".
loaded=(
  "libayatana-appindicator3.so.1|libappindicator3.so.1" # the tray (libappindicator-sys)
  "libX11.so.6"                                         # global shortcut, window (x11-dl)
  "libXi.so.6"                                          # global shortcut (x11-dl)
)

problems=0
problem() {
  printf 'missing: %s\n' "$*" >&2
  problems=$((problems + 1))
}

mapfile -t needed < <(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ "${#needed[@]}" -gt 0 ] || die "$binary has no NEEDED entries: is it a dynamically linked ELF binary?"
for entry in "${loaded[@]}"; do
  grep -qaF "${entry%%|*}" "$binary" ||
    say "note: $binary no longer names ${entry%%|*}; drop it from the list in scripts/package-deps.sh"
done

# The .deb: package names, alternatives split, versions dropped.
deb_depends="$(dpkg-deb -f "$deb" Depends)"
deb_names=" $(printf '%s' "$deb_depends" | sed 's/[,|]/\n/g' | sed 's/(.*)//; s/[[:space:]]//g' | tr '\n' ' ') "
shlib_dir="$(mktemp -d)"
trap 'rm -rf "$shlib_dir"' EXIT
mkdir "$shlib_dir/debian"
printf 'Source: instant-share\n\nPackage: instant-share\nArchitecture: any\n' >"$shlib_dir/debian/control"
shlibs="$(cd "$shlib_dir" && dpkg-shlibdeps -O "$(realpath "$binary")" 2>/dev/null)" ||
  die "dpkg-shlibdeps failed on $binary (are the libraries' -dev packages installed? scripts/deps.sh build)"
shlibs="${shlibs#shlibs:Depends=}"
say "dpkg-shlibdeps: $shlibs"
IFS=',' read -ra groups <<<"$shlibs"
for group in "${groups[@]}"; do
  found=0
  IFS='|' read -ra alternatives <<<"$group"
  for alternative in "${alternatives[@]}"; do
    name="$(printf '%s' "$alternative" | sed 's/(.*)//; s/[[:space:]]//g')"
    [[ "$deb_names" == *" $name "* ]] && found=1
  done
  [ "$found" -eq 1 ] || problem ".deb Depends lacks $group (linked)"
done
for entry in "${loaded[@]}"; do
  found=0 owners=()
  IFS='|' read -ra sonames <<<"$entry"
  for soname in "${sonames[@]}"; do
    owner="$(dpkg -S "*/$soname" 2>/dev/null | head -1 | cut -d: -f1 || true)"
    [ -n "$owner" ] || continue
    owners+=("$owner")
    [[ "$deb_names" == *" $owner "* ]] && found=1
  done
  [ "${#owners[@]}" -gt 0 ] || die "no installed package has $entry: install it (scripts/deps.sh run) to check the .deb"
  [ "$found" -eq 1 ] || problem ".deb Depends lacks ${owners[*]} ($entry, loaded at run time)"
done

# The .rpm: capabilities; a rich dependency "(a or b)" counts for each of its names.
rpm_requires="$(rpm -qpR "$rpm" 2>/dev/null)" || die "rpm -qpR cannot read $rpm"
say "rpm -qpR: $(printf '%s' "$rpm_requires" | tr '\n' ';' | sed 's/;/; /g')"
rpm_has() { grep -qF "$1()(64bit)" <<<"$rpm_requires" || grep -qF "$1(GLIBC_" <<<"$rpm_requires"; }
for soname in "${needed[@]}"; do
  case "$soname" in ld-linux*) continue ;; esac # the dynamic loader comes with libc
  rpm_has "$soname" || problem ".rpm requires lack $soname()(64bit) (linked)"
done
for entry in "${loaded[@]}"; do
  found=0
  IFS='|' read -ra sonames <<<"$entry"
  for soname in "${sonames[@]}"; do rpm_has "$soname" && found=1; done
  [ "$found" -eq 1 ] || problem ".rpm requires lack $entry (loaded at run time)"
done
glibc="$(objdump -T "$binary" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)"
grep -qF "libc.so.6($glibc)(64bit)" <<<"$rpm_requires" ||
  grep -o 'libc.so.6(GLIBC_[0-9.]*)' <<<"$rpm_requires" | grep -o 'GLIBC_[0-9.]*' |
  while read -r declared; do [ "$(printf '%s\n%s\n' "$declared" "$glibc" | sort -V | tail -1)" = "$declared" ] && echo ok; done | grep -q ok ||
  problem ".rpm requires lack libc.so.6($glibc)(64bit) (the newest glibc symbol version the binary uses)"

if [ "$problems" -gt 0 ]; then
  die "$problems dependencies are not declared: add them to tauri.linux.conf.json (bundle > linux > deb/rpm > depends)"
fi
say "the .deb and the .rpm declare every library the app links (${#needed[@]}) and loads (${#loaded[@]})"
