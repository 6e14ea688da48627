#!/usr/bin/env bash
# Installs the Debian packages Ferry's tests use (real Docker engine, real registries,
# skopeo, Chromium, busybox for test images, openssl/htpasswd for TLS + auth, torch and numpy
# to write real checkpoints for the scanner tests, binutils with an aarch64 objdump to read the
# offline kit's Node binaries for both platforms, Podman and podman-compose for the Podman engine tests).
# As root it installs what is missing; otherwise it prints the exact command to run.
set -euo pipefail

PACKAGES=(docker.io docker-registry skopeo chromium busybox-static e2fsprogs apache2-utils openssl iproute2 ca-certificates clamav docker-compose python3-torch python3-numpy binutils binutils-aarch64-linux-gnu debootstrap podman podman-compose uidmap slirp4netns fuse-overlayfs)
declare -A PROVIDES=([docker.io]=dockerd [docker-registry]=docker-registry [skopeo]=skopeo [chromium]=chromium
  [busybox-static]=busybox [e2fsprogs]=mkfs.ext4 [apache2-utils]=htpasswd [openssl]=openssl [iproute2]=ip [ca-certificates]=update-ca-certificates [clamav]=clamscan [docker-compose]=docker-compose
  [python3-torch]=python:torch [python3-numpy]=python:numpy [binutils]=objdump [binutils-aarch64-linux-gnu]=aarch64-linux-gnu-objdump [debootstrap]=debootstrap
  [podman]=podman [podman-compose]=podman-compose [uidmap]=newuidmap [slirp4netns]=slirp4netns [fuse-overlayfs]=fuse-overlayfs)
# Debian's python3 (not a pyenv or venv one on PATH) is the one these packages install into.
PYTHON=/usr/bin/python3

provided() {
  case "$1" in
    python:*) [ -x "$PYTHON" ] && "$PYTHON" -c "import ${1#python:}" >/dev/null 2>&1 ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

missing=()
for p in "${PACKAGES[@]}"; do
  provided "${PROVIDES[$p]}" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Ferry's tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them as root with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
