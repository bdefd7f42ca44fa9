"""Turn CustomResourceDefinitions into the JSON schemas kubeconform reads (one file per kind and version).

    python infra/k8s/crd_to_jsonschema.py OUT_DIR CRD.yaml [CRD.yaml ...]

Writes ``OUT_DIR/<kind lowercase>_<version>.json`` (kubeconform's ``{{.ResourceKind}}_{{.ResourceAPIVersion}}``
naming) from each served version's ``openAPIV3Schema``. Strict like kubeconform's own conversion: an
object that lists its properties accepts no others (so a misspelt field fails), unless the CRD marks it
``x-kubernetes-preserve-unknown-fields``; ``x-kubernetes-int-or-string`` becomes integer-or-string.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml


def strict(node: Any) -> Any:
    """A copy of an OpenAPI v3 schema node made strict and plain JSON Schema."""
    if isinstance(node, list):
        return [strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: strict(v) for k, v in node.items()}
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    preserve = out.get("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def convert(crd: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{file name: JSON schema}`` for every version of one CRD."""
    spec = crd["spec"]
    kind = spec["names"]["kind"]
    schemas: dict[str, dict[str, Any]] = {}
    for version in spec["versions"]:
        schema = (version.get("schema") or {}).get("openAPIV3Schema")
        if not schema:
            continue
        body = strict(schema)
        # metadata is validated by the API server, not the CRD: accept any standard ObjectMeta.
        body.setdefault("properties", {})["metadata"] = {"type": "object"}
        body["$schema"] = "http://json-schema.org/draft-07/schema#"
        body["title"] = f"{kind} {spec['group']}/{version['name']}"
        schemas[f"{kind.lower()}_{version['name']}.json"] = body
    return schemas


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = Path(argv[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in argv[1:]:
        for doc in yaml.safe_load_all(Path(path).read_text(encoding="utf-8")):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            for name, schema in convert(doc).items():
                (out_dir / name).write_text(json.dumps(schema, indent=1), encoding="utf-8")
                print(f"[schemas] {name} <- {Path(path).name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
