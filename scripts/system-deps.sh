#!/usr/bin/env bash
# Debian packages the tests need beyond Python: Chromium (browser tests), PostgreSQL
# (gradebook tests), Node.js/npm (JupyterHub's proxy). As root, installs what is missing;
# otherwise says what to install. Also lets the hub's accounts reach this checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null || need+=(chromium)
[ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v npm >/dev/null || need+=(nodejs npm)
command -v useradd >/dev/null || need+=(passwd)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Memasang paket Debian: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "Tes butuh paket Debian: ${need[*]}. Pasang dengan: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi

# Hub accounts and the grading sandbox's user run this checkout's .venv: every folder
# above it must be traversable (o+x), e.g. when the checkout lives under /root.
if [ "$(id -u)" = 0 ]; then
  dir="$(pwd)"
  while [ "$dir" != "/" ]; do
    if [ "$(( 0$(stat -c %a "$dir") & 01 ))" = 0 ]; then
      echo "chmod o+x $dir (akun hub dan sandbox perlu melewati folder ini)"
      chmod o+x "$dir"
    fi
    dir="$(dirname "$dir")"
  done
fi
