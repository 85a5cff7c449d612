"""Translate a SAM template to plain CloudFormation offline (no AWS account, no network).

    AWS_DEFAULT_REGION=us-east-1 python scripts/translate_template.py template.yaml out.json

Local ``CodeUri``/``ContentUri`` paths are replaced by placeholder S3 URIs (the translator only
accepts those), and the managed-policy loader is a stub, because the real one calls IAM.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class _NoManagedPolicies:
    """Stands in for samtranslator's ManagedPolicyLoader, which would call iam:ListPolicies."""

    def load(self) -> dict[str, str]:
        return {}


def main(source: str, target: str) -> None:
    with open(source, encoding="utf-8") as handle:
        template: dict[str, Any] = yaml_parse(handle.read())
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str):
                props[key] = "s3://placeholder-bucket/placeholder.zip"
    translated = transform(template, {}, _NoManagedPolicies())
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(translated, handle, indent=1)
    kinds = sorted({r["Type"] for r in translated["Resources"].values()})
    print(f"translated {len(translated['Resources'])} resources: {', '.join(kinds)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
