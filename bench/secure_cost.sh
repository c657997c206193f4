#!/usr/bin/env bash
# What the secure stack costs a run: the same experiment on a plain background stack, on a secure
# one (`stack start --secure`: mutual TLS on every connection, ACLs checked on every request, each
# service its own principal), and on the secure one signed (`run --sign`), one right after the
# other, PAIRS times; each run's median s/round over the rounds after the first; the metrics of
# each triple checked equal. Both stacks run for the whole script, each in a DemLearn home of its
# own under OUT, and are stopped at the end.
# Usage: bench/secure_cost.sh [OUT] [PAIRS] [-- experiment options, default 50 synthetic agents,
# 20 rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$(realpath -m "${1:-runs/secure-cost}")"
PAIRS="${2:-3}"
shift $(( $# < 2 ? $# : 2 ))
[[ "${1:-}" == "--" ]] && shift
ARGS=("$@")
(( ${#ARGS[@]} )) || ARGS=(--dataset synthetic --agents 50 --rounds 20)
mkdir -p "$OUT"
PLAIN="$OUT/plain-home"; SECURE="$OUT/secure-home"
stop() {
  DEMLEARN_HOME="$PLAIN" ./demlearn stack stop >/dev/null 2>&1 || true
  DEMLEARN_HOME="$SECURE" ./demlearn stack stop >/dev/null 2>&1 || true
}
trap stop EXIT
DEMLEARN_HOME="$PLAIN" ./demlearn stack start --kafka-port 0 --registry-port 0 > "$OUT/plain-stack.log"
DEMLEARN_HOME="$SECURE" ./demlearn stack start --secure --kafka-port 0 --registry-port 0 \
  > "$OUT/secure-stack.log"
median() { python3 bench/median_seconds.py "$1"; }
ratio() { python3 -c "print(f'{$1/$2:.3f}')"; }
same() { python3 bench/same_metrics.py "$1/metrics.jsonl" "$2/metrics.jsonl" || true; }
secure=(); signed=()
tag=$(date +%s)
for i in $(seq 1 "$PAIRS"); do
  DEMLEARN_HOME="$PLAIN" ./demlearn run "${ARGS[@]}" --experiment "plain-$tag-$i" --overwrite \
    --out "$OUT/plain-$i" > "$OUT/plain-$i.log" 2>&1
  DEMLEARN_HOME="$SECURE" ./demlearn run "${ARGS[@]}" --experiment "secure-$tag-$i" --overwrite \
    --out "$OUT/secure-$i" > "$OUT/secure-$i.log" 2>&1
  DEMLEARN_HOME="$SECURE" ./demlearn run "${ARGS[@]}" --experiment "signed-$tag-$i" --sign \
    --overwrite --out "$OUT/signed-$i" > "$OUT/signed-$i.log" 2>&1
  p=$(median "$OUT/plain-$i"); s=$(median "$OUT/secure-$i"); g=$(median "$OUT/signed-$i")
  secure+=("$(ratio "$s" "$p")"); signed+=("$(ratio "$g" "$p")")
  echo "pair $i: plain $p, secure $s (${secure[-1]}), secure+signed $g (${signed[-1]}) s/round;" \
    "metrics: $(same "$OUT/plain-$i" "$OUT/secure-$i"), $(same "$OUT/plain-$i" "$OUT/signed-$i")"
done
med() { python3 -c "import statistics; print(f'{statistics.median([$*]):.3f}')"; }
echo "median ratio secure/plain: $(med "${secure[@]/%/,}"); secure+signed/plain: $(med "${signed[@]/%/,}")"
