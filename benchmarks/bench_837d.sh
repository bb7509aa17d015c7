#!/bin/sh
# 837D benchmark: build + validate 5,000 generated claims, and our validate beside pyx12's
# own x12valid on the same file with the same map folder. Whole-process timings with
# GNU time; for medians over repeated runs use hyperfine, e.g.
#   hyperfine -w1 -r5 "$BIN/edigateway x12 validate $OUT/claims-5000.837" \
#                     "$BIN/x12valid --map-path $MAPS $OUT/claims-5000.837"
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
OUT=benchmarks/out
N=${N:-5000}
mkdir -p "$OUT"
"$BIN/python" benchmarks/generate.py claims "$N" "$OUT/claims-$N.json"
MAPS=$("$BIN/edigateway" x12 maps)
echo "== build 837D from $N claims"
/usr/bin/time -f "%e s wall, %M KiB peak" "$BIN/edigateway" x12 build 837d "$OUT/claims-$N.json" -o "$OUT/claims-$N.837"
echo "== edigateway x12 validate"
/usr/bin/time -f "%e s wall, %M KiB peak" "$BIN/edigateway" x12 validate "$OUT/claims-$N.837"
echo "== x12valid (pyx12 4.0.0) with the same maps"
/usr/bin/time -f "%e s wall, %M KiB peak" "$BIN/x12valid" --map-path "$MAPS" "$OUT/claims-$N.837"
