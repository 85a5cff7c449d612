#!/usr/bin/env bash
# Set up the independent verifiers the interop tests run (../shared/tools/external: DCC
# verifier-core + Digital Bazaar vc on node, openbadgeslib, the 1EdTech OB 2.0 validator), each in
# its own environment under $EXTVERIFIERS_HOME (default /tmp/extverifiers). Idempotent: each
# wrapper reinstalls only when its pinned manifest changed. The DCC one needs node; without node
# it is left out and its tests skip with that reason.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="${BADGEKILN_EXTERNAL_TOOLS:-../shared/tools/external}"
if [[ ! -d "$TOOLS" ]]; then
  echo "interop: $TOOLS not found; interop tests will skip" >&2
  exit 0
fi
"$TOOLS/obl-verify.sh" setup
"$TOOLS/ob2-validate.sh" setup
if command -v node >/dev/null && command -v npm >/dev/null; then
  "$TOOLS/dcc-verify.sh" setup
else
  echo "interop: node/npm not installed; the DCC verifier tests will skip" >&2
fi
