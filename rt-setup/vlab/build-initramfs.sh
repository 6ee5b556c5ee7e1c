#!/bin/bash
# SPDX-License-Identifier: MIT
# Build (or reuse) the virtual lab's initramfs for one installed kernel (any flavour: the lab boots
# Debian's PREEMPT_RT kernel or its standard kernel, `validate vlab --kernel rt|generic`).
#
#   build-initramfs.sh KERNEL_RELEASE CACHE_DIR
#
# Prints the path of the initramfs on stdout. The image holds busybox, the
# guest init (init.sh beside this script) and the modules needed to reach the
# host's root over virtio-9p; everything else comes from the host root once the
# guest has chrooted into it. Cached by kernel release and a hash of the
# inputs, so a second call with nothing changed builds nothing.
set -euo pipefail

kver=${1:?usage: build-initramfs.sh KERNEL_RELEASE CACHE_DIR}
cache=${2:?usage: build-initramfs.sh KERNEL_RELEASE CACHE_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
moddir=/lib/modules/$kver
busybox=$(command -v busybox || true)

if [[ ! -d $moddir ]]; then
    # Debian's flavours: 6.1.0-57-rt-amd64 is linux-image-rt-amd64, 6.1.0-57-amd64 linux-image-amd64.
    [[ $kver == *-rt-amd64 ]] && pkg=linux-image-rt-amd64 || pkg=linux-image-amd64
    echo "build-initramfs: $moddir not found; install $pkg" >&2; exit 69
fi
[[ -n $busybox ]] || { echo "build-initramfs: busybox not found; install busybox-static" >&2; exit 69; }
if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
    # A dynamically linked busybox would need the host's libc inside the image.
    ldd "$busybox" >/dev/null 2>&1 && { echo "build-initramfs: $busybox is not static; install busybox-static" >&2; exit 69; }
fi

# Module chain for virtio-9p, in load order, resolved from the kernel's modules.dep.
# (modprobe takes one module per call: further words would be parameters.)
mapfile -t mods < <(for m in virtio_pci 9pnet_virtio 9p; do modprobe -S "$kver" --show-depends "$m"; done \
                    | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++')
[[ ${#mods[@]} -gt 0 ]] || { echo "build-initramfs: no 9p modules for $kver" >&2; exit 69; }

key=$( { echo "$kver"; sha256sum "$here/init.sh" "$here/build-initramfs.sh" "$busybox" "${mods[@]}"; } \
       | sha256sum | cut -c1-16)
out=$cache/initramfs-$kver-$key.cpio.gz
if [[ -s $out ]]; then echo "$out"; exit 0; fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,dev,proc,sys,host,modules}
cp "$busybox" "$work/bin/busybox"
cp "$here/init.sh" "$work/init"
chmod 0755 "$work/init" "$work/bin/busybox"
: > "$work/modules/order"
for m in "${mods[@]}"; do
    cp "$m" "$work/modules/"
    basename "$m" >> "$work/modules/order"
done
(cd "$work" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
# Older images for the same kernel are stale now.
find "$cache" -maxdepth 1 -name "initramfs-$kver-*.cpio.gz" ! -name "$(basename "$out")" -delete
echo "$out"
