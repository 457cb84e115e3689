#!/usr/bin/env bash
# Install what Notice Pipeline needs on a fresh Debian/Ubuntu machine.
#   bash tools/setup.sh          runtime only (build the site)
#   bash tools/setup.sh --dev    plus the test suite: Chromium, CJK fonts, espeak-ng, sox, Java, sshd/rsync/nginx, pytest...
# Python packages come from the hash-pinned locks (requirements.txt, requirements-dev.txt; see tools/lock.sh),
# installed into whatever python3 is first on PATH (CI: the fresh virtualenv .ci/run activates).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ "${1:-}" = "--dev" ]; then
  # openssh-server, rsync, nginx: the deploy tests start their own sshd and nginx on loopback
  pkgs="chromium fonts-wqy-zenhei espeak-ng sox default-jre-headless openssh-server openssh-client rsync nginx"
  missing=""
  for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  # npm installs the browser suite's axe-core and vnu-jar (package-lock.json); any Node.js >= 18 will do
  command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
  if [ -n "$missing" ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends $missing
  fi
  "$PY" -m pip install -q --require-hashes -r requirements-dev.txt
  if [ -f package.json ]; then npm ci --no-audit --no-fund --silent; fi
else
  "$PY" -m pip install -q --require-hashes -r requirements.txt
fi
