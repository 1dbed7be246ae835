#!/usr/bin/env bash
# Builds the local base image localhost/debian:bookworm with debootstrap from the Debian mirror and `podman import`,
# for machines that reach no container registry. Skips the work when the image exists. Needs root, podman and
# debootstrap (apt-get install -y podman runc debootstrap).
#   MIRROR (default http://deb.debian.org/debian) chooses the mirror.
set -euo pipefail
image=localhost/debian:bookworm
if podman image exists "$image"; then
  echo "build-base: $image exists"
  exit 0
fi
mirror=${MIRROR:-http://deb.debian.org/debian}
root=$(mktemp -d /tmp/pgha-debootstrap.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "build-base: debootstrap bookworm from $mirror (a few minutes)"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 \
  || { tail -20 "$root.log"; rm -f "$root.log"; exit 1; }
rm -f "$root.log"
# apt inside the image uses the same mirror; no caches or logs in the layer
echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*
tar -C "$root" -c . | podman import --change 'CMD ["/bin/bash"]' - "$image" >/dev/null
echo "build-base: $image built"
