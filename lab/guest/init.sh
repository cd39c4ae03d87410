#!/bin/sh
# Stage 1 of the lab VM: runs from the busybox initramfs as PID 1.
# It loads the modules, mounts the host's / read-only over 9p, puts tmpfs where
# the guest must write, mounts the job share (results, the command, stage 2)
# and the project (when it lives under /tmp, which the tmpfs would hide),
# then chroots into the host's root for stage 2.
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
dmesg -n 1

say() { echo "@@blekit-lab progress $*"; }
die() {
  echo "@@blekit-lab fatal $*"
  echo o >/proc/sysrq-trigger
  sleep 10
}

say "kernel up, loading modules"
for m in $(cat /modules.order); do
  insmod "/modules/$m.ko" 2>/dev/null || die "insmod $m failed"
done

nine="trans=virtio,version=9p2000.L,msize=262144"
mkdir -p /job /newroot
mount -t 9p -o "$nine" job /job || die "cannot mount the job share"
. /job/config
mount -t 9p -o "$nine,ro,cache=loose" hostroot /newroot || die "cannot mount the host root"

R=/newroot
mount -t tmpfs -o mode=1777 tmpfs $R/tmp
mount -t tmpfs -o mode=755 tmpfs $R/run
mount -t tmpfs -o mode=700 tmpfs $R/var/lib/bluetooth
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $R/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t debugfs debugfs $R/sys/kernel/debug 2>/dev/null
mkdir -p $R/tmp/blekit-lab-job
mount --move /job $R/tmp/blekit-lab-job || die "cannot move the job share"
if [ ! -d "$R$LAB_PROJECT" ]; then
  mkdir -p "$R$LAB_PROJECT"
  mount -t 9p -o "$nine,ro" project "$R$LAB_PROJECT" || die "cannot mount the project"
fi

exec chroot $R /bin/bash /tmp/blekit-lab-job/stage2.sh
