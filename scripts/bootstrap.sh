#!/usr/bin/env bash
# Set up everything `make run` and `make test` need on a fresh Debian machine (root, no Docker):
# the system packages, then the project virtualenv. Idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3

# --- system packages ---------------------------------------------------------------------------
# libcairo2 + fonts: cairosvg rendering; chromium + chromium-driver: the browser tests; nodejs +
# npm: the DCC / Digital Bazaar verifiers of the interop tests (tests/interop), unless a node and
# npm are already on PATH (e.g. from another source than Debian's packages).
APT_PACKAGES=(libcairo2 fontconfig fonts-dejavu-core chromium chromium-driver ca-certificates)
if [[ "${1:-}" == "--run-only" ]]; then
  APT_PACKAGES=(libcairo2 fontconfig fonts-dejavu-core ca-certificates)
elif ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  APT_PACKAGES+=(nodejs npm)
fi
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null; then SUDO=sudo; else SUDO=; fi
  echo "bootstrap: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- virtualenv ----------------------------------------------------------------------------------
stamp="$VENV/.installed"
want=$(cat pyproject.toml requirements-dev.lock layers/badgekiln/requirements.txt | sha256sum | cut -c1-16)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
[[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
# dev: the test tools and every extra (`badgekiln serve` for make run and the e2e tests among
# them), at the exact versions of requirements-dev.lock (`make lock` refreshes it)
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -c requirements-dev.lock -e ".[dev]"
echo "$want" > "$stamp"
