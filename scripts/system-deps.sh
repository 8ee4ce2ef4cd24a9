#!/usr/bin/env bash
# Installs the Debian packages that the tests, `make run` and `make bench` need, when any is missing.
# As root it installs them; otherwise it names what is missing and how to install it.
set -euo pipefail

# One package per line: the command or file that shows it is present, then the Debian package.
wanted=(
  "busybox:/bin/busybox:busybox-static"
  "dash:/usr/bin/dash:dash"
  "runc:/usr/sbin/runc:runc"
  "haproxy:/usr/sbin/haproxy:haproxy"
  "nginx:/usr/sbin/nginx:nginx-light"
  "postgres:/usr/lib/postgresql:postgresql"
  "docker-registry:/usr/bin/docker-registry:docker-registry"
  "ip:/usr/sbin/ip:iproute2"
  "nft:/usr/sbin/nft:nftables"
  "qemu:/usr/bin/qemu-system-x86_64:qemu-system-x86"
  "qemu-img:/usr/bin/qemu-img:qemu-utils"
  "curl:/usr/bin/curl:curl"
  "openssl:/usr/bin/openssl:openssl"
  "skopeo:/usr/bin/skopeo:skopeo"
)

missing=()
for entry in "${wanted[@]}"; do
  IFS=: read -r _name path pkg <<<"$entry"
  [ -e "$path" ] || missing+=("$pkg")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "TRC needs these Debian packages: ${missing[*]}" >&2
  echo "Hint: run 'sudo apt-get install -y --no-install-recommends ${missing[*]}' (or run make as root)." >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
