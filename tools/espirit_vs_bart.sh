#!/bin/sh
# Writes data/mri/espirit_bart/: the ESPIRiT calibration region of the spiral scan (calibration.cfl,
# 24 x 24 x 1 x 8) and the maps and eigenvalues BART computes from it zero-padded to 64 x 64
# (maps.cfl, eigenvalues.cfl), for the test that compares Inversa's ESPIRiT with BART's
# (cargo test -p inversa --test suite espirit). Needs BART (Debian: apt-get install bart; 0.8.00 here).
set -eu
out=data/mri/espirit_bart
mkdir -p "$out"
cargo run -q -p inversa --example espirit_calibration -- data/mri/spiral_8coil.h5 "$out/calibration"
tmp=$(mktemp -d)
bart resize -c 0 64 1 64 "$out/calibration" "$tmp/padded"
bart ecalib -m 1 -k 6 -r 24 -c 0.8 "$tmp/padded" "$out/maps" "$out/eigenvalues"
rm -r "$tmp"
bart version
