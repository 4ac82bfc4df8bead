#!/usr/bin/env bash
# Installs what prism-ami and its tests need on Debian 12 (as root, or with sudo available):
#   debootstrap, systemd-container (systemd-nspawn),
#   slirp4netns (each build container's own network) - local builds
#   shellcheck                                      - `prism ami lint` script checks
#   jq                                              - the generated CI workflow's scripts, run in tests
#   gnupg, curl                                     - the SSM agent bootstrap test (gpgv, a download)
#   moto_server (pip: moto[server])                 - the AWS emulator the tests run against (--with-moto)
#   qemu-user-static, binfmt-support                - local builds of the other architecture (--with-qemu):
#                                                     also mounts binfmt_misc and registers qemu-aarch64/x86_64
# Only what is missing is installed, so running it again is quick.
set -euo pipefail

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

with_moto=false
with_qemu=false
for arg in "$@"; do
  case "$arg" in
    --with-moto) with_moto=true ;;
    --with-qemu) with_qemu=true ;;
    *) echo "usage: $0 [--with-moto] [--with-qemu]" >&2; exit 2 ;;
  esac
done

packages=(debootstrap systemd-container slirp4netns shellcheck jq gnupg curl)
if $with_qemu; then packages+=(qemu-user-static binfmt-support); fi
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if $with_qemu; then
  # Without systemd as PID 1 (containers, CI runners) nothing mounts binfmt_misc or registers
  # the interpreters: do both. qemu-user-static registers them with the F flag, so they work
  # inside build containers too.
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    $sudo mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  fi
  case "$(uname -m)" in
    x86_64) other=qemu-aarch64 ;;
    aarch64) other=qemu-x86_64 ;;
    *) other="" ;;
  esac
  if [ -n "$other" ] && [ ! -e "/proc/sys/fs/binfmt_misc/$other" ]; then
    echo "==> registering $other with binfmt_misc"
    $sudo update-binfmts --enable "$other"
  fi
fi

if $with_moto && ! command -v moto_server >/dev/null 2>&1; then
  echo "==> installing moto_server (pip install moto[server])"
  python3 -m pip install --quiet 'moto[server]>=5.1,<6'
fi
