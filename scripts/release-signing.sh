#!/usr/bin/env bash
# Code-signing set-up for the release workflow, from secrets in the environment; with none set
# it says so and the installers are built unsigned (fine for a test release, not for users).
#
#   scripts/release-signing.sh macos     APPLE_CERTIFICATE (base64 .p12), APPLE_CERTIFICATE_PASSWORD,
#                                        APPLE_SIGNING_IDENTITY; notarization: APPLE_ID,
#                                        APPLE_PASSWORD (app-specific), APPLE_TEAM_ID
#   scripts/release-signing.sh windows   WINDOWS_CERTIFICATE (base64 .pfx), WINDOWS_CERTIFICATE_PASSWORD
#
# macOS: the certificate goes into a temporary keychain; `tauri build` reads
# APPLE_SIGNING_IDENTITY and the notarization variables itself (they stay in the environment of
# the build step through $GITHUB_ENV). Windows: the certificate goes into the user's store and
# its thumbprint into $RUNNER_TEMP/signing.conf.json (bundle > windows > certificateThumbprint),
# which scripts/release-build.sh passes to `tauri build`.
set -euo pipefail
tmp="${RUNNER_TEMP:?run this in GitHub Actions (RUNNER_TEMP)}"
case "${1:-}" in
  macos)
    if [ -z "${APPLE_CERTIFICATE:-}" ]; then
      echo "warning: APPLE_CERTIFICATE is not set: the app and dmg are not signed or notarized" >&2
      exit 0
    fi
    keychain="$tmp/signing.keychain-db"
    password="$(openssl rand -hex 16)"
    printf '%s' "$APPLE_CERTIFICATE" | base64 --decode >"$tmp/certificate.p12"
    security create-keychain -p "$password" "$keychain"
    security set-keychain-settings -lut 3600 "$keychain"
    security unlock-keychain -p "$password" "$keychain"
    security import "$tmp/certificate.p12" -k "$keychain" -P "${APPLE_CERTIFICATE_PASSWORD:-}" -T /usr/bin/codesign
    security set-key-partition-list -S apple-tool:,apple: -s -k "$password" "$keychain" >/dev/null
    # shellcheck disable=SC2046 # the keychain list, one word each
    security list-keychains -d user -s "$keychain" $(security list-keychains -d user | tr -d '"')
    rm -f "$tmp/certificate.p12"
    for name in APPLE_SIGNING_IDENTITY APPLE_ID APPLE_PASSWORD APPLE_TEAM_ID; do
      if [ -n "${!name:-}" ]; then echo "$name=${!name}" >>"$GITHUB_ENV"; fi
    done
    [ -n "${APPLE_ID:-}" ] || echo "warning: APPLE_ID is not set: the app is signed but not notarized" >&2
    ;;
  windows)
    if [ -z "${WINDOWS_CERTIFICATE:-}" ]; then
      echo "warning: WINDOWS_CERTIFICATE is not set: the msi and the setup.exe are not signed" >&2
      exit 0
    fi
    printf '%s' "$WINDOWS_CERTIFICATE" | base64 --decode >"$tmp/certificate.pfx"
    thumbprint="$(powershell -NoProfile -Command "\$p = ConvertTo-SecureString -String \$env:WINDOWS_CERTIFICATE_PASSWORD -Force -AsPlainText; (Import-PfxCertificate -FilePath '$tmp\\certificate.pfx' -CertStoreLocation Cert:\\CurrentUser\\My -Password \$p).Thumbprint" | tr -d '\r')"
    rm -f "$tmp/certificate.pfx"
    [ -n "$thumbprint" ] || { echo "error: importing WINDOWS_CERTIFICATE gave no thumbprint" >&2; exit 1; }
    printf '{"bundle":{"windows":{"certificateThumbprint":"%s"}}}\n' "$thumbprint" >"$tmp/signing.conf.json"
    ;;
  *)
    echo "usage: scripts/release-signing.sh macos|windows" >&2
    exit 2
    ;;
esac
