#!/usr/bin/env bash
# Builds the Prometheus image of the Compose deployment on this machine, for hosts that cannot
# pull images from a registry: Debian's prometheus package (downloaded by apt, unpacked, not
# installed) on the project's base image (docker/build-base.sh).
#
#   docker/build-prometheus.sh [--force]
#
# The image is named demlearn/prometheus:VERSION (VERSION: the package's upstream version, as
# PROMETHEUS_VERSION in docker/.env) unless DEMLEARN_PROMETHEUS_IMAGE names it; an image of that
# name already present is kept unless --force. Needs apt, dpkg-deb and a running engine.
set -euo pipefail

force=false
for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$arg' (usage: docker/build-prometheus.sh [--force])" >&2; exit 2 ;;
  esac
done

base="${DEMLEARN_BASE_IMAGE:-demlearn/base:bookworm-jre17}"
if ! docker info >/dev/null 2>&1; then
  echo "error: no Docker engine answers (docker info failed); start one (dockerd as root) first" >&2
  exit 1
fi
if ! docker image inspect "$base" >/dev/null 2>&1; then
  echo "error: the base image $base is missing: run docker/build-base.sh first" >&2
  exit 1
fi
version="$(apt-cache policy prometheus 2>/dev/null | awk '/Candidate:/ {print $2}')"
if [[ -z "$version" || "$version" == "(none)" ]]; then
  echo "error: apt knows no prometheus package (apt-get update first?)" >&2
  exit 1
fi
upstream="${version#*:}"
upstream="${upstream%%[+-]*}"
image="${DEMLEARN_PROMETHEUS_IMAGE:-demlearn/prometheus:$upstream}"
if ! $force && docker image inspect "$image" >/dev/null 2>&1; then
  echo "Prometheus image $image is present (docker/build-prometheus.sh --force rebuilds it)"
  exit 0
fi

work="$(mktemp -d /tmp/demlearn-prometheus.XXXXXX)"
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
(cd "$work" && apt-get download "prometheus=$version" >/dev/null)
dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
cat >"$work/Dockerfile" <<DOCKERFILE
FROM $base
COPY root/usr/bin/prometheus root/usr/bin/promtool /usr/bin/
COPY root/etc/prometheus/ /etc/prometheus/
RUN mkdir -p /prometheus && chown nobody:nogroup /prometheus
USER nobody
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
DOCKERFILE
docker build -q -t "$image" "$work" >/dev/null 2>"$work/build.log" || {
  echo "error: docker build of $image failed:" >&2
  cat "$work/build.log" >&2
  exit 1
}
echo "built $image (Debian's prometheus $version) in $(( $(date +%s) - start )) s"
