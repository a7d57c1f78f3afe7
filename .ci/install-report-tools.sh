#!/usr/bin/env bash
# networkx reads the GraphML, GEXF and JSON graphs the report tests write
# (the check is skipped without it).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends python3-networkx >/dev/null
