#!/bin/sh
# tests/cli/detections.sh — the detection pack's rule tests (tests/detections/README.md): each
# rule against its positive and negative events with the exact alerts expected, Sigma rules
# against the KQL `sigma to-kql` prints for them, and the pack's scenario map.
set -u
exec python3 tests/cli/detections_check.py "${SOCPIPE:-./socpipe}"
