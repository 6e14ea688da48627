#!/usr/bin/env bash
# Installs the Debian packages Ferry's tests use (real Docker engine, real registries,
# skopeo, Chromium, busybox for test images, openssl/htpasswd for TLS + auth).
# As root it installs what is missing; otherwise it prints the exact command to run.
set -euo pipefail

PACKAGES=(docker.io docker-registry skopeo chromium busybox-static e2fsprogs apache2-utils openssl iproute2 ca-certificates clamav docker-compose)
declare -A PROVIDES=([docker.io]=dockerd [docker-registry]=docker-registry [skopeo]=skopeo [chromium]=chromium
  [busybox-static]=busybox [e2fsprogs]=mkfs.ext4 [apache2-utils]=htpasswd [openssl]=openssl [iproute2]=ip [ca-certificates]=update-ca-certificates [clamav]=clamscan [docker-compose]=docker-compose)

missing=()
for p in "${PACKAGES[@]}"; do
  command -v "${PROVIDES[$p]}" >/dev/null 2>&1 || missing+=("$p")
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
