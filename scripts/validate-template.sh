#!/usr/bin/env bash
# Validate template.yaml offline: cfn-lint on the SAM template, the SAM translator (no AWS
# account, no network), then cfn-lint on the translated CloudFormation; `sam validate` too when
# a SAM CLI is installed (make sam-build installs one in .venv-sam).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${VENV:-.venv}/bin"
if [[ ! -f template.yaml ]]; then
  echo "validate: template.yaml not written yet; nothing to validate" >&2
  exit 0
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "+ cfn-lint template.yaml"
"$BIN/cfn-lint" template.yaml
echo "+ sam-translator template.yaml -> translated.json"
AWS_DEFAULT_REGION=us-east-1 "$BIN/python" scripts/translate_template.py template.yaml "$out/translated.json"
echo "+ cfn-lint translated.json"
"$BIN/cfn-lint" -t "$out/translated.json"
if [[ -x .venv-sam/bin/sam ]]; then
  echo "+ sam validate (translator) and sam validate --lint (cfn-lint)"
  SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 .venv-sam/bin/sam validate -t template.yaml
  SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 .venv-sam/bin/sam validate --lint -t template.yaml
fi
echo "validate: ok"
