#!/usr/bin/env bash
# Builds the project's base image (Debian bookworm with a Java 17 runtime) on this machine, for
# hosts that cannot pull images from a registry: debootstrap a minimal system from the Debian
# mirror apt already uses, then import it into the local Docker engine.
#
#   docker/build-base.sh [--force]
#
# The image is named by DEMLEARN_BASE_IMAGE (default demlearn/base:bookworm-jre17); an image of
# that name already present is kept unless --force. Needs root, debootstrap and a running engine.
set -euo pipefail

image="${DEMLEARN_BASE_IMAGE:-demlearn/base:bookworm-jre17}"
force=false
for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$arg' (usage: docker/build-base.sh [--force])" >&2; exit 2 ;;
  esac
done

if ! docker info >/dev/null 2>&1; then
  echo "error: no Docker engine answers (docker info failed); start one (dockerd as root) first" >&2
  exit 1
fi
if ! $force && docker image inspect "$image" >/dev/null 2>&1; then
  echo "base image $image is present (docker/build-base.sh --force rebuilds it)"
  exit 0
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "error: debootstrap is not installed (apt-get install debootstrap)" >&2
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "error: debootstrap needs root" >&2
  exit 1
fi

# the mirror apt uses (one-line or deb822 sources), unless DEBIAN_MIRROR says otherwise
mirror="${DEBIAN_MIRROR:-}"
if [[ -z "$mirror" ]]; then
  mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | awk '/^deb / && $2 ~ /^http/ && $2 !~ /security/ {print $2; exit}
           /^URIs:/ && $2 ~ /^http/ && $2 !~ /security/ {print $2; exit}' || true)"
fi
mirror="${mirror:-http://deb.debian.org/debian}"

root="$(mktemp -d /tmp/demlearn-base.XXXXXX)"
trap 'rm -rf "$root"' EXIT
echo "building base image $image from $mirror (a few minutes) ..."
start=$(date +%s)
debootstrap --variant=minbase --include=openjdk-17-jre-headless,curl \
  bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
  echo "error: debootstrap failed; the end of its log ($root.log):" >&2
  tail -20 "$root.log" >&2
  exit 1
}
rm -f "$root.log"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64' \
  --change 'CMD ["/bin/bash"]' \
  - "$image" >/dev/null
echo "built $image in $(( $(date +%s) - start )) s"
