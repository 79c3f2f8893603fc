#!/usr/bin/env bash
# Runs a command of this checkout on Debian 13's lavapipe, from a Debian 12 machine.
#
# Debian 12's newest lavapipe is Mesa 25.0 (bookworm-backports); the users of current distributions
# run a newer one (Debian 13's trixie-backports ships Mesa 26, whose load path for per-lane
# addresses changed, docs/performance.md). That package needs glibc 2.38+, which Debian 12 lacks,
# so this script builds a Debian 13 (trixie) userland with debootstrap, installs trixie's nodejs
# (>= 20.19) and npm and trixie-backports' mesa-vulkan-drivers and libvulkan1 in it, and runs the
# command there (chroot) with this checkout at the same path, so dist/, node_modules (Dawn's
# prebuilt binding) and .cache are the very files the host uses.
#
# Usage (as root, from anywhere):
#   bash scripts/trixie-lavapipe.sh [--dir DIR] [--bind PATH]... -- COMMAND [ARG...]
#     --dir DIR    where the userland lives (default .cache/trixie in this checkout); built on the
#                  first call, reused after (delete DIR to rebuild it)
#     --bind PATH  also make PATH (a data folder, say) visible at the same path; repeatable
#   e.g. bash scripts/trixie-lavapipe.sh -- node dist/cli.js info
#        bash scripts/trixie-lavapipe.sh -- npm test
#        ALSEG_DAWN_FEATURES=disable_robustness bash scripts/trixie-lavapipe.sh -- npm run bench -- --quick --only method
# COMMAND runs in the checkout's root with the caller's environment (PATH and HOME set for the
# userland), so ALSEG_* and LP_NUM_THREADS pass through.
#
# The Debian mirror is the one this machine's apt sources already use (scripts/debian-mirror.sh).
# Everything is mounted in a mount namespace of this script's own (unshare), so /proc, /sys, /dev
# and the checkout are unmounted when it ends, however it ends, and two calls can run side by side.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
. "$repo/scripts/debian-mirror.sh"

log() { echo "[trixie-lavapipe] $*" >&2; }
die() { echo "trixie-lavapipe: $*" >&2; exit 1; }
usage() { sed -n '/^# Usage/,/^# COMMAND/p' "$0" | sed 's/^# \{0,1\}//' | sed '$d'; }

dir="$repo/.cache/trixie"
binds=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) [ $# -ge 2 ] || die "--dir needs a directory"; dir=$2; shift 2 ;;
    --dir=*) dir=${1#--dir=}; shift ;;
    --bind) [ $# -ge 2 ] || die "--bind needs a path"; binds+=("$2"); shift 2 ;;
    --bind=*) binds+=("${1#--bind=}"); shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; break ;;
    *) die "unknown option '$1' (the command goes after --; see --help)" ;;
  esac
done
[ $# -gt 0 ] || { usage >&2; die "no command given (after --)"; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and mounts): run it with sudo or as root"
command -v apt-get >/dev/null || die "needs a Debian host with apt-get (written for Debian 12)"
command -v unshare >/dev/null || die "needs unshare (Debian's util-linux)"
for p in "${binds[@]}"; do [ -e "$p" ] || die "--bind $p: no such file or directory"; done
if [ -e "$dir" ] && [ ! -d "$dir" ]; then die "--dir $dir is not a folder"; fi
# A folder that is not (the start of) a userland is someone's files: never build over them.
if [ -d "$dir" ] && [ ! -x "$dir/usr/bin/apt-get" ] && [ ! -d "$dir/debootstrap" ] && [ -n "$(ls -A "$dir")" ]; then
  die "$dir is neither empty nor a Debian userland: choose another --dir"
fi

# Everything below runs in a private mount namespace: the mounts die with it.
if [ "${ALSEG_TRIXIE_NAMESPACE:-}" != "$$" ]; then
  unshare --mount --propagation private true 2>/dev/null ||
    die "cannot make a private mount namespace here (unshare --mount): run it on the host, not in a chroot or a container without that right"
  # The child's pid is ours after exec; the marker tells it it is the namespaced copy.
  export ALSEG_TRIXIE_NAMESPACE=$$
  exec unshare --mount --propagation private -- "$BASH" "$0" --dir "$dir" "${binds[@]/#/--bind=}" -- "$@"
fi
unset ALSEG_TRIXIE_NAMESPACE

mkdir -p "$dir"
dir=$(cd "$dir" && pwd -P)
[ "$dir" != / ] || die "--dir /: refusing to build a userland over the host"
ready="$dir/.alseg-trixie-ready"

mounted=()
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -R "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" || true; done
  mounted=()
}
trap unmount_all EXIT
bind() { # bind [--rbind] SOURCE TARGET-INSIDE
  local how=--bind
  [ "$1" = --rbind ] && { how=--rbind; shift; }
  if [ -d "$1" ]; then mkdir -p "$dir$2"; else mkdir -p "$(dirname "$dir$2")" && touch "$dir$2"; fi
  mount "$how" "$1" "$dir$2"
  mounted+=("$dir$2")
}
mount_system() {
  mkdir -p "$dir/proc" "$dir/sys" "$dir/dev"
  mount -t proc proc "$dir/proc" && mounted+=("$dir/proc")
  bind --rbind /sys /sys
  bind --rbind /dev /dev
}
in_userland() { chroot "$dir" /usr/bin/env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }

build() {
  local mirror
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list*: add Debian's main archive to the apt sources first"
  if [ -d "$dir/debootstrap" ]; then
    die "$dir holds an unfinished debootstrap (interrupted?): remove it (rm -rf '$dir') and run again"
  elif [ ! -x "$dir/usr/bin/apt-get" ]; then
    if ! command -v debootstrap >/dev/null; then
      log "installing debootstrap (apt-get install debootstrap)"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null ||
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; } ||
        die "could not install debootstrap with apt-get"
    fi
    log "debootstrap trixie from $mirror into $dir (minbase; a few minutes)"
    debootstrap --variant=minbase trixie "$dir" "$mirror" >&2 ||
      die "debootstrap trixie from $mirror failed (its log: $dir/debootstrap/debootstrap.log)"
  fi
  # trixie-backports holds Mesa 26; trixie-updates keeps the base current.
  rm -f "$dir/etc/apt/sources.list"
  cat >"$dir/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: trixie trixie-updates trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
  mount_system
  log "installing nodejs, npm (trixie) and mesa-vulkan-drivers, libvulkan1 (trixie-backports)"
  in_userland apt-get update -qq || die "apt-get update in the trixie userland failed (mirror $mirror)"
  in_userland env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    ca-certificates nodejs npm >/dev/null || die "apt-get install nodejs npm in the trixie userland failed"
  in_userland env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -t trixie-backports mesa-vulkan-drivers libvulkan1 >/dev/null ||
    die "apt-get install -t trixie-backports mesa-vulkan-drivers libvulkan1 in the trixie userland failed"
  in_userland apt-get clean
  unmount_all
  local node mesa glibc
  node=$(in_userland node --version)
  # package.json asks for node >= 20.19
  in_userland node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
    die "trixie's nodejs is $node; alseg needs >= 20.19"
  mesa=$(in_userland dpkg-query -W -f '${Version}' mesa-vulkan-drivers)
  glibc=$(in_userland dpkg-query -W -f '${Version}' libc6)
  printf 'node %s\nmesa-vulkan-drivers %s\nlibc6 %s\nmirror %s\n' "$node" "$mesa" "$glibc" "$mirror" >"$ready"
  log "ready: node $node, mesa-vulkan-drivers $mesa, glibc $glibc"
}

if [ ! -f "$ready" ]; then
  # One build at a time per userland (a lock on the folder itself); a second caller waits, then finds it ready.
  exec 9<"$dir"
  flock 9
  [ -f "$ready" ] || build
  flock -u 9
fi

# The checkout first, with a plain bind: the userland may live inside it (.cache/trixie).
bind "$repo" "$repo"
# The checkout's node_modules may be a link to another folder (a worktree's, say): show that too.
if [ -L "$repo/node_modules" ]; then
  modules=$(readlink -f "$repo/node_modules")
  case "$modules" in "$repo"/*) ;; *) bind "$modules" "$modules" ;; esac
fi
for p in "${binds[@]}"; do p=$(readlink -f "$p"); bind "$p" "$p"; done
mount_system
mkdir -p -m 700 "$dir/tmp/xdg-runtime-0"

set +e
chroot "$dir" /usr/bin/env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  XDG_RUNTIME_DIR=/tmp/xdg-runtime-0 /bin/sh -c 'cd "$1" && shift && exec "$@"' trixie-lavapipe "$repo" "$@"
rc=$?
set -e
exit $rc
