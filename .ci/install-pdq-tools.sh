#!/usr/bin/env bash
# Tools the PDQ tests use as independent oracles: libjpeg-turbo's djpeg and
# cjpeg (JPEG pixels byte for byte). Tests that need them skip without them.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends libjpeg-turbo-progs >/dev/null
