#!/usr/bin/env bash
# Checks the Windows installers' IT policy hooks as far as Linux can (no Windows here):
# - the NSIS hooks (src-tauri/windows/installer-hooks.nsh) compile with makensis (Debian's nsis),
#   warnings as errors, inside a harness that inserts them as the bundler's template does
#   (`!include` at the top, `!insertmacro NSIS_HOOK_PREINSTALL` and `…_POSTINSTALL` in the
#   install section);
# - the WiX fragment (src-tauri/windows/policy.wxs) is well-formed XML in WiX 3's namespace
#   (Debian's wixl cannot build it: it has no Fragment custom actions);
# - tauri.windows.conf.json's bundle.windows names both files, relative to src-tauri as the bundler
#   reads them, and links the fragment's component group.
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=common.sh
. "$INSTANT_SHARE_ROOT/scripts/common.sh"

command -v makensis >/dev/null 2>&1 || die "makensis is missing: scripts/deps.sh test installs nsis"
command -v xmllint >/dev/null 2>&1 || die "xmllint is missing: scripts/deps.sh test installs libxml2-utils"
cd "$INSTANT_SHARE_ROOT"
work="$(mktemp -d "${TMPDIR:-/tmp}/instant-share-installers.XXXXXX")"
trap 'rm -rf "$work"' EXIT

hooks="src-tauri/windows/installer-hooks.nsh"
wxs="src-tauri/windows/policy.wxs"

# The paths tauri.windows.conf.json gives, as the bundler resolves them (from src-tauri).
node -e '
  const c = require("./tauri.windows.conf.json");
  const w = (c.bundle && c.bundle.windows) || {};
  const fail = (m) => { console.error(m); process.exit(1); };
  if (w.nsis?.installerHooks !== "windows/installer-hooks.nsh") fail("bundle.windows.nsis.installerHooks must be windows/installer-hooks.nsh");
  if (!(w.wix?.fragmentPaths ?? []).includes("windows/policy.wxs")) fail("bundle.windows.wix.fragmentPaths must list windows/policy.wxs");
  if (!(w.wix?.componentGroupRefs ?? []).includes("InstantSharePolicy")) fail("bundle.windows.wix.componentGroupRefs must list InstantSharePolicy");
'
say "tauri.windows.conf.json names the hooks and the fragment"

cat >"$work/harness.nsi" <<NSI
Unicode true
Name "Instant Share hooks check"
OutFile "$work/harness.exe"
RequestExecutionLevel user
!include "$INSTANT_SHARE_ROOT/$hooks"
Section
  !ifmacrondef NSIS_HOOK_PREINSTALL | NSIS_HOOK_POSTINSTALL
    !error "the hooks file must define NSIS_HOOK_PREINSTALL and NSIS_HOOK_POSTINSTALL"
  !endif
  !insertmacro NSIS_HOOK_PREINSTALL
  ; (the bundler's template installs the files here)
  !insertmacro NSIS_HOOK_POSTINSTALL
SectionEnd
NSI
makensis -V2 -WX -INPUTCHARSET UTF8 "$work/harness.nsi"
say "NSIS hooks compile (makensis $(makensis -VERSION), warnings as errors)"

xmllint --noout "$wxs"
grep -q 'xmlns="http://schemas.microsoft.com/wix/2006/wi"' "$wxs" || die "$wxs is not in WiX 3's namespace"
grep -q '<ComponentGroup Id="InstantSharePolicy">' "$wxs" || die "$wxs has no InstantSharePolicy component group"
say "WiX fragment is well-formed"
