#!/usr/bin/env bash
# Validate template.yaml offline: cfn-lint on the SAM template, the SAM translator (no AWS
# account, no network), then cfn-lint on the translated CloudFormation; `sam validate` too when
# a SAM CLI is installed (make sam-build installs one in .venv-sam).
set -euo pipefail
cd "$(dirname "$0")/.."
# cfn-lint comes from the active environment: an activated virtualenv, else the checkout's .venv
# (the pinned one; `make` puts it first on PATH too), else whatever PATH has. The translator runs
# on the Python beside it (aws-sam-translator is a dependency of cfn-lint).
if [[ -z "${VIRTUAL_ENV:-}" && -x "${VENV:-.venv}/bin/cfn-lint" ]]; then
  PATH="$(cd "${VENV:-.venv}/bin" && pwd):$PATH"
fi
if ! command -v cfn-lint >/dev/null; then
  echo "validate: cfn-lint not found on PATH (make setup installs the development tools in .venv)" >&2
  exit 1
fi
python="$(dirname "$(command -v cfn-lint)")/python3"
[[ -x "$python" ]] || python=python3
if [[ ! -f template.yaml ]]; then
  echo "validate: template.yaml not written yet; nothing to validate" >&2
  exit 0
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "+ cfn-lint template.yaml"
cfn-lint template.yaml
echo "+ sam-translator template.yaml -> translated.json"
AWS_DEFAULT_REGION=us-east-1 "$python" scripts/translate_template.py template.yaml "$out/translated.json"
echo "+ cfn-lint translated.json"
cfn-lint -t "$out/translated.json"
if [[ -x .venv-sam/bin/sam ]]; then
  echo "+ sam validate (translator) and sam validate --lint (cfn-lint)"
  SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 .venv-sam/bin/sam validate -t template.yaml
  SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 .venv-sam/bin/sam validate --lint -t template.yaml
fi
echo "validate: ok"
