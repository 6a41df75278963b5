#!/usr/bin/env bash
# The contract test: schemathesis (PyPI) against the committed OpenAPI document
# (crates/host/openapi.json), with a live host and session (tests/contract/run.mjs), every check
# enabled, zero failures allowed. Configuration: tests/contract/schemathesis.toml.
#
#   scripts/contract-test.sh [st run options...]     e.g. --max-examples 200 --seed 7
#
# Installs schemathesis $SCHEMATHESIS_VERSION once into a virtual environment under
# $INSTANT_SHARE_CACHE (Debian's python3 with python3-venv, which scripts/deps.sh installs), and
# says so; nothing is installed outside it. Needs the host binary ($CARGO_TARGET_DIR/debug) and
# Node.js with tests/node_modules (scripts/deps.sh test).
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=common.sh
. "$INSTANT_SHARE_ROOT/scripts/common.sh"

SCHEMATHESIS_VERSION=4.32.5
venv="$INSTANT_SHARE_CACHE/schemathesis-$SCHEMATHESIS_VERSION"
st="$venv/bin/st"
if [ ! -x "$st" ]; then
  say "installing: schemathesis $SCHEMATHESIS_VERSION (PyPI, with its Python dependencies) into $venv"
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv" ||
    die "python3 -m venv failed: install python3-venv (scripts/deps.sh test)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" ||
    { rm -rf "$venv"; die "could not install schemathesis $SCHEMATHESIS_VERSION from PyPI"; }
else
  say "schemathesis $SCHEMATHESIS_VERSION: present in $venv"
fi

node_flags=()
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 22 ]; then
  node_flags+=(--experimental-websocket) # Node 20 has WebSocket only behind this flag.
fi
mkdir -p "$INSTANT_SHARE_ROOT/tests/output"
exec node "${node_flags[@]}" "$INSTANT_SHARE_ROOT/tests/contract/run.mjs" "$st" "$@"
