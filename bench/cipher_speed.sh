#!/usr/bin/env bash
# TLS 1.3's ciphers in this JVM under the quick C1 compiler and under C2 (bench/CipherSpeed.java).
set -euo pipefail
cd "$(dirname "$0")"
echo "C1 (-XX:TieredStopAtLevel=1):"; java -XX:TieredStopAtLevel=1 CipherSpeed.java
echo "C2:"; java CipherSpeed.java
