#!/usr/bin/env bash
# `sam build` without Docker: the SAM CLI in its own venv (.venv-sam: it pins an older boto3 than
# the project), and a CPython matching the template's runtime (python3.13) on PATH, which
# aws-lambda-builders needs to resolve the layer's dependencies (arm64 wheels are downloaded, so
# an x86_64 build machine is fine). Output goes to .aws-sam/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."

SAM_VENV="${SAM_VENV:-.venv-sam}"
SAM_CLI_VERSION=1.170.0
RUNTIME_PYTHON=python3.13

stamp="$SAM_VENV/.installed"
if [[ ! -x "$SAM_VENV/bin/sam" || "$(cat "$stamp" 2>/dev/null)" != "$SAM_CLI_VERSION" ]]; then
  echo "sam-build: installing aws-sam-cli==$SAM_CLI_VERSION into $SAM_VENV" >&2
  [[ -x "$SAM_VENV/bin/python" ]] || "${PYTHON:-python3.11}" -m venv "$SAM_VENV"
  "$SAM_VENV/bin/python" -m pip install -q --disable-pip-version-check "aws-sam-cli==$SAM_CLI_VERSION"
  echo "$SAM_CLI_VERSION" > "$stamp"
fi

runs() { "$RUNTIME_PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; }
if ! runs; then
  # pyenv keeps interpreters off PATH (its shims fail for versions not selected); use one directly
  for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin; do
    if [[ -x "$dir/$RUNTIME_PYTHON" ]]; then PATH="$dir:$PATH"; fi
  done
fi
if ! runs; then
  echo "sam-build: $RUNTIME_PYTHON not found on PATH or under pyenv; install it (e.g. pyenv install 3.13)" >&2
  # `make test` passes SAM_BUILD_OPTIONAL=1: a machine without that interpreter (Debian ships
  # 3.11 only) still runs every other check; `make sam-build` itself fails.
  if [[ "${SAM_BUILD_OPTIONAL:-0}" == 1 ]]; then
    echo "sam-build: SKIPPED (no $RUNTIME_PYTHON); template validation still runs" >&2
    exit 0
  fi
  exit 1
fi

export SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
echo "+ sam build ($("$RUNTIME_PYTHON" --version))"
start=$SECONDS
"$SAM_VENV/bin/sam" build --template-file template.yaml --build-dir .aws-sam/build "$@" 2>&1 \
  | grep -v "is ignored: it is neither a file nor a directory"
echo "sam-build: ok in $((SECONDS - start)) s"
