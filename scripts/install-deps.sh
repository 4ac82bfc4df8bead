#!/usr/bin/env bash
# Installs what prism-ami and its tests need on Debian 12 (as root, or with sudo available):
#   debootstrap, systemd-container (systemd-nspawn),
#   slirp4netns (each build container's own network) - local builds
#   shellcheck                                      - `prism ami lint` script checks
#   jq                                              - the generated CI workflow's scripts, run in tests
#   chromium                                        - the report's browser test (headless, playwright-core)
#   moto_server (pip: moto[server])                 - the AWS emulator the tests run against (--with-moto)
# Only what is missing is installed, so running it again is quick.
set -euo pipefail

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

packages=(debootstrap systemd-container slirp4netns shellcheck jq chromium)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--with-moto" ] && ! command -v moto_server >/dev/null 2>&1; then
  echo "==> installing moto_server (pip install moto[server])"
  python3 -m pip install --quiet 'moto[server]>=5.1,<6'
fi
