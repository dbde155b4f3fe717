#!/bin/busybox sh
# /init of the cgroup v2 test VM (test/vm/qemu.ts builds the initramfs around it).
#
# Stage 1, PID 1 in the initramfs: load the virtio and 9p modules, mount the host's root filesystem (shared
# read-only over 9p) at /newroot, give it tmpfs where the guest writes (/tmp, /run, /var/tmp, /root), the
# guest's own /proc, /sys, /dev, a pure cgroup v2 hierarchy at /sys/fs/cgroup (the kernel runs with
# cgroup_no_v1=all, so every controller is in it) and the writable "out" share, then switch_root there.
# Stage 2, still PID 1 but inside the host's root: modules for containers (modprobe from the host's
# /lib/modules, which match the guest kernel), then the tests; their TAP output and exit code go to the out
# share, and the guest powers off. PID 1 switches root itself, so the kernel's module autoloading (which
# shares PID 1's root) finds the host's /sbin/modprobe too.
#
# /kubeling-vm.env (written by the host) sets KVM_MODULES, KVM_NODE, KVM_REPO, KVM_TESTS.

say() { echo "kubeling-vm: $*" > /dev/console; }
die() {
  say "FAILED: $*"
  [ -d /run/kubeling-vm/out ] && echo "$*" > /run/kubeling-vm/out/error
  /bin/busybox poweroff -f
  exit 1
}

if [ "$1" != stage2 ]; then
  /bin/busybox mkdir -p /proc /sys /dev /usr/bin /usr/sbin /sbin
  /bin/busybox --install -s
  export PATH=/bin:/sbin:/usr/bin:/usr/sbin
  mount -t proc proc /proc
  mount -t sysfs sysfs /sys
  mount -t devtmpfs devtmpfs /dev
  . /kubeling-vm.env
  for m in $KVM_MODULES; do insmod "/modules/$m" || die "insmod $m"; done
  mkdir -p /newroot
  mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /newroot || die 'mount the host root (9p)'
  for d in tmp run var/tmp root; do
    [ -d "/newroot/$d" ] || continue
    # A repository checked out below one of these (CI clones into /tmp) must stay visible over the tmpfs:
    # hold it on a bind mount, then move that onto the same path inside the tmpfs.
    keep=''
    case "$KVM_REPO/" in "/$d/"*) keep=1 ;; esac
    if [ -n "$keep" ]; then
      mkdir -p /keep && mount -o bind "/newroot$KVM_REPO" /keep || die "hold $KVM_REPO"
    fi
    mount -t tmpfs -o mode=0755 tmpfs "/newroot/$d" || die "tmpfs on /$d"
    if [ -n "$keep" ]; then
      mkdir -p "/newroot$KVM_REPO" && mount -o move /keep "/newroot$KVM_REPO" || die "put $KVM_REPO back over the tmpfs"
    fi
  done
  chmod 1777 /newroot/tmp /newroot/var/tmp
  mount -t proc proc /newroot/proc || die 'mount /proc'
  mount -t sysfs sysfs /newroot/sys || die 'mount /sys'
  mount -t cgroup2 -o nsdelegate cgroup2 /newroot/sys/fs/cgroup || die 'mount cgroup2'
  mount -t devtmpfs devtmpfs /newroot/dev || die 'mount /dev'
  mkdir -p /newroot/dev/pts /newroot/dev/shm /newroot/dev/mqueue
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /newroot/dev/pts
  mount -t tmpfs -o mode=1777 shm /newroot/dev/shm
  mount -t mqueue mqueue /newroot/dev/mqueue
  mkdir -p /newroot/run/kubeling-vm/out
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /newroot/run/kubeling-vm/out || die 'mount the out share (9p)'
  cp /init /kubeling-vm.env /newroot/run/kubeling-vm/
  say "host root mounted; cgroup controllers: $(cat /newroot/sys/fs/cgroup/cgroup.controllers)"
  # switch_root, not chroot: the host root must become the mount namespace's root mount, or crun cannot
  # pivot_root into containers (it falls back to chroot, and `crun exec` then lands in the initramfs).
  exec switch_root /newroot /bin/busybox sh /run/kubeling-vm/init stage2
  die 'switch_root into the host root'
fi

# Stage 2: inside the host's root filesystem.
. /run/kubeling-vm/kubeling-vm.env
out=/run/kubeling-vm/out
export PATH="$(dirname "$KVM_NODE"):/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export HOME=/root TMPDIR=/tmp KUBELING_EXPECT_CGROUP_V2=1
hostname kubeling-cgroup-v2
ip link set lo up || die 'lo up'
modprobe -a overlay veth bridge || die 'modprobe overlay veth bridge'
{
  echo "kernel: $(uname -r)"
  echo "cgroup mount: $(grep cgroup /proc/mounts)"
  echo "controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
} > "$out/info"
cd "$KVM_REPO" || die "cd $KVM_REPO"
say "running: node --test $KVM_TESTS"
# shellcheck disable=SC2086 # KVM_TESTS is a list of repo-relative paths without spaces
"$KVM_NODE" --test --test-reporter=tap --test-concurrency=1 $KVM_TESTS > "$out/tap" 2> "$out/stderr"
echo $? > "$out/exit"
dmesg > "$out/dmesg" 2>&1
say "tests finished with exit code $(cat "$out/exit")"
sync
/bin/busybox poweroff -f
