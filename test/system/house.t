#!/usr/bin/env bash
# House rules, read from the source tree (scripts/check_house.py): the parts of
# sql/install/ call nothing a later part creates and each names its layer; no
# SQL function body and no C function is over 80 lines.  Prints TAP.
set -uo pipefail
cd "$(dirname "$0")/../.."
exec python3 scripts/check_house.py --tap
