#!/bin/sh
# PID 1 inside User-Mode Linux (Debian's user-mode-linux, kernel 6.1 with ESP/XFRM as modules).
# The root file system is the host's "/" through hostfs. Kernel command line gives:
#   UML_JOB  shell script to run   UML_RC  file that receives its exit code   UML_CWD  its directory
# /run and /dev/shm are private tmpfs mounts; everything else is the host's.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev || mount -t tmpfs tmpfs /dev
if [ ! -c /dev/null ]; then
  mknod -m 666 /dev/null c 1 3; mknod -m 666 /dev/zero c 1 5
  mknod -m 666 /dev/random c 1 8; mknod -m 666 /dev/urandom c 1 9
  mknod -m 666 /dev/tty c 5 0; mknod -m 600 /dev/console c 5 1
fi
ln -sf /proc/self/fd /dev/fd
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
# Load the UML kernel's modules (and their dependencies from modules.dep) straight from the
# package's directory: the host may have neither kmod nor a /lib/modules to mount over.
MODDIR=/usr/lib/uml/modules/$(uname -r)
load_module() {
  line=$(grep -E "(^|/)$1\.ko:" "$MODDIR/modules.dep" | head -n 1)
  [ -n "$line" ] || return 0   # built in, or not needed on this kernel
  deps=${line#*:}
  rev=""
  for d in $deps; do rev="$d $rev"; done
  for d in $rev ${line%%:*}; do busybox insmod "$MODDIR/$d" 2>/dev/null; done
  return 0
}
ip link set lo up
for m in ipv6 veth xfrm_user esp4 esp6 authenc echainiv ecb crypto_null cbc hmac sha1_generic md5 des_generic; do
  load_module "$m"
done
load_module ansi_cprng  # aes-cbc SAs need an RNG for their IVs: jitterentropy cannot start in UML and drbg fails
cd "${UML_CWD:-/}"
sh "$UML_JOB"
echo $? > "$UML_RC"
sync
exec busybox poweroff -f
