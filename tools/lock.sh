#!/usr/bin/env bash
# Regenerate the lock files from the loose ranges, with every file's hash:
#   requirements.in      -> requirements.txt       (runtime: `python3 -m pip install -r requirements.txt`)
#   requirements-dev.in  -> requirements-dev.txt   (tests: tools/setup.sh --dev installs it)
# Run it after editing a .in file. `bash tools/lock.sh --upgrade` moves every pin to the newest release
# the ranges allow (then run the tests); without it, pins already in the lock are kept where they still fit.
# The lock holds for Python >= 3.10 on any platform (uv's universal resolution).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
UV_VERSION=0.13.9
if ! "$PY" -m uv --version 2>/dev/null | grep -q "^uv $UV_VERSION"; then
  "$PY" -m pip install -q "uv==$UV_VERSION"
fi
upgrade=()
[ "${1:-}" = "--upgrade" ] && upgrade=(--upgrade)
common=(--universal --python-version 3.10 --generate-hashes --custom-compile-command "bash tools/lock.sh" --quiet "${upgrade[@]}")
"$PY" -m uv pip compile "${common[@]}" requirements.in -o requirements.txt
"$PY" -m uv pip compile "${common[@]}" requirements-dev.in -o requirements-dev.txt
