#!/usr/bin/env bash
# The release workflow's build of the installers (.github/workflows/release.yml), on the
# runner of each platform:
#
#   scripts/release-build.sh TARGET BUNDLES      e.g. x86_64-pc-windows-msvc msi,nsis
#
# `tauri build` with the updater artifacts on when TAURI_SIGNING_PRIVATE_KEY is set (their
# `.sig` files then sit beside the installers), and with the signing settings
# scripts/release-signing.sh left in $RUNNER_TEMP/signing.conf.json. Copies what is to be
# published to dist/, names without spaces (as GitHub would rename them) and the macOS updater
# archive named after its architecture (Tauri's name has none).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: scripts/release-build.sh TARGET BUNDLES" >&2; exit 2; }
target="$1" bundles="$2"
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

configs=()
if [ -n "${TAURI_SIGNING_PRIVATE_KEY:-}" ]; then
  # createUpdaterArtifacts needs plugins > updater > pubkey, which the updater's own config
  # brings; until then the build says so and fails here rather than publish unsigned updates.
  configs+=(--config '{"bundle":{"createUpdaterArtifacts":true}}')
else
  echo "warning: TAURI_SIGNING_PRIVATE_KEY is not set: no updater artifacts, no latest.json entries" >&2
fi
signing="${RUNNER_TEMP:-/tmp}/signing.conf.json"
if [ -f "$signing" ]; then configs+=(--config "$signing"); fi

TAURI_APP_PATH=src-tauri TAURI_FRONTEND_PATH=ui ui/node_modules/.bin/tauri build --ci \
  --target "$target" --bundles "$bundles" "${configs[@]}"

bundle_dir="$CARGO_TARGET_DIR/$target/release/bundle"
arch="${target%%-*}"
rm -rf dist
mkdir dist
shopt -s nullglob
for file in "$bundle_dir"/{deb,rpm,appimage,msi,nsis,dmg}/*.{deb,rpm,AppImage,msi,exe,dmg,sig} \
  "$bundle_dir"/macos/*.app.tar.gz "$bundle_dir"/macos/*.app.tar.gz.sig; do
  name="$(basename -- "$file")"
  case "$name" in
    *.app.tar.gz) name="${name%.app.tar.gz}_$arch.app.tar.gz" ;;
    *.app.tar.gz.sig) name="${name%.app.tar.gz.sig}_$arch.app.tar.gz.sig" ;;
  esac
  cp "$file" "dist/${name// /.}"
done
ls -l dist
[ -n "$(ls dist)" ] || { echo "error: no installers in $bundle_dir" >&2; exit 1; }
