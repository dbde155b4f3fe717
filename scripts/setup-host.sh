#!/usr/bin/env bash
# Prepares a Debian machine to run kubeling's real containers: installs the standard system components
# (crun, runc, conmon, catatonit, CNI plugins, busybox-static for test images, docker-registry, etcd, podman
# as a peer for benchmarks) when missing, and applies the host fixes that node-environment.md describes.
# Idempotent; safe to run on every CI run. Needs root.
set -euo pipefail

packages=(crun runc conmon catatonit containernetworking-plugins busybox-static skopeo umoci docker-registry
  etcd-server iptables iproute2 util-linux tmux podman attr socat)
# The service proxy (src/proxy) programs the kernel with nft, as kube-proxy's nftables mode, and clears
# stale UDP flows with conntrack.
packages+=(nftables conntrack)
# The cgroup v2 VM test (test/integration/cgroup-v2-vm.test.ts) boots Debian's kernel under qemu.
packages+=(qemu-system-x86 linux-image-amd64)
# The dashboard's browser test (test/e2e/dashboard.test.ts) drives Debian's headless Chromium at /usr/bin/chromium.
packages+=(chromium)

if [ "$(id -u)" != 0 ]; then
  echo "setup-host: needs root (containers, network namespaces and cgroups)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-host: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# crun 1.8 refuses cgroup v1 "hybrid" hosts (v1 controllers plus a cgroup2 mount at unified/) unless the
# hugetlb controller is mounted as v1 too. Pure v2 hosts need nothing.
if [ -d /sys/fs/cgroup/unified ] && [ -d /sys/fs/cgroup/memory ] && ! mountpoint -q /sys/fs/cgroup/hugetlb; then
  if grep -qw hugetlb /proc/cgroups; then
    mkdir -p /sys/fs/cgroup/hugetlb
    mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb || echo "setup-host: could not mount the hugetlb cgroup" >&2
  fi
fi

# Pod traffic crosses the node bridge; the node must forward it.
sysctl -qw net.ipv4.ip_forward=1 || true
modprobe overlay 2>/dev/null || true
modprobe br_netfilter 2>/dev/null || true
# Replies between two pods on one node bridge must pass conntrack, or a Service's NAT is not undone on them
# (the client sees the pod's address answer instead of the Service's). The proxy warns at start when off.
sysctl -qw net.bridge.bridge-nf-call-iptables=1 || echo "setup-host: could not set net.bridge.bridge-nf-call-iptables=1" >&2
echo "setup-host: ok"
