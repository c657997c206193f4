#!/bin/sh
# The reproducible summation's cost per element against a plain double sum (docs/BENCHMARKS.md).
# Needs the core module built: mvn -o -q package -pl core -DskipTests
set -e
cd "$(dirname "$0")/.."
jar=$(ls core/target/core-*.jar | grep -v -e sources -e tests | head -1)
for members in 10 100 1000; do
  java -cp "$jar" bench/SummationCost.java "$members"
done
