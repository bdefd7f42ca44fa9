"""Check the deployment files beyond their Kubernetes schemas.

    python infra/k8s/check_values.py [K8S_DIR]

1. Each Helm values file ``helm/<name>-values.yaml`` against its policy ``helm/<name>-values.policy.schema.json``
   (JSON Schema 2020-12): Postgres backends, S3 artifact root, no secret inline.
2. Every Secret (and key) that a SparkApplication or a values file refers to is produced by an
   ExternalSecret in ``secrets/`` (so each credential comes from the platform's secret store).
Exit code 0 when all hold; otherwise each problem is printed with the file it is in.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

ANY_KEY = "*"


def provided_secrets(k8s: Path) -> dict[str, set[str]]:
    """Secret name -> keys it will hold, from the ExternalSecrets (``*``: keys decided by the store)."""
    out: dict[str, set[str]] = {}
    for path in sorted((k8s / "secrets").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if not doc or doc.get("kind") != "ExternalSecret":
                continue
            spec = doc["spec"]
            name = (spec.get("target") or {}).get("name") or doc["metadata"]["name"]
            keys = out.setdefault(name, set())
            keys.update(item["secretKey"] for item in spec.get("data") or [])
            keys.update(((spec.get("target") or {}).get("template") or {}).get("data") or {})
            if spec.get("dataFrom") and not ((spec.get("target") or {}).get("template") or {}).get("data"):
                keys.add(ANY_KEY)
    return out


def referenced_secrets(k8s: Path) -> list[tuple[str, str, str | None]]:
    """(file, secret name, key or None for the whole Secret) for every reference in the deployment files."""
    refs: list[tuple[str, str, str | None]] = []
    for path in sorted((k8s / "spark").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            for role in ("driver", "executor"):
                for item in ((doc or {}).get("spec", {}).get(role) or {}).get("envFrom") or []:
                    if "secretRef" in item:
                        refs.append((path.name, item["secretRef"]["name"], None))
    airflow = _load(k8s / "helm" / "airflow-values.yaml")
    name = "airflow-values.yaml"
    refs.append((name, airflow["data"]["metadataSecretName"], "connection"))
    refs.append((name, airflow["fernetKeySecretName"], "fernet-key"))
    refs.append((name, airflow["apiSecretKeySecretName"], "api-secret-key"))
    refs.append((name, airflow["jwtSecretName"], "jwt-secret"))
    refs.extend((name, s["secretName"], s["secretKey"]) for s in airflow.get("secret") or [])
    git = ((airflow.get("dags") or {}).get("gitSync") or {}).get("credentialsSecret")
    if git:
        refs.append((name, git, None))
    mlflow = _load(k8s / "helm" / "mlflow-values.yaml")
    name = "mlflow-values.yaml"
    db = mlflow["backendStore"]["existingDatabaseSecret"]
    refs += [(name, db["name"], db["usernameKey"]), (name, db["name"], db["passwordKey"])]
    s3 = mlflow["artifactRoot"]["s3"]["existingSecret"]
    refs += [(name, s3["name"], s3["keyOfAccessKeyId"]), (name, s3["name"], s3["keyOfSecretAccessKey"])]
    return refs


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def check(k8s: Path) -> list[str]:
    problems: list[str] = []
    values_files = sorted((k8s / "helm").glob("*-values.yaml"))
    if not values_files:
        problems.append(f"{k8s / 'helm'}: no *-values.yaml files")
    for values_path in values_files:
        schema_path = values_path.with_name(values_path.stem + ".policy.schema.json")
        if not schema_path.exists():
            problems.append(f"{values_path.name}: no policy schema {schema_path.name}")
            continue
        validator = Draft202012Validator(yaml.safe_load(schema_path.read_text(encoding="utf-8")))
        for err in sorted(validator.iter_errors(_load(values_path)), key=lambda e: list(e.path)):
            where = "/".join(str(p) for p in err.path) or "(root)"
            problems.append(f"{values_path.name}: {where}: {err.message}")
    provided = provided_secrets(k8s)
    for file, secret, key in referenced_secrets(k8s):
        if secret not in provided:
            problems.append(f"{file}: Secret {secret!r} is not produced by any ExternalSecret in secrets/")
        elif key is not None and key not in provided[secret] and ANY_KEY not in provided[secret]:
            problems.append(f"{file}: Secret {secret!r} has no key {key!r} (it holds {sorted(provided[secret])})")
    return problems


def main(argv: list[str]) -> int:
    k8s = Path(argv[0]) if argv else Path(__file__).resolve().parent
    problems = check(k8s)
    for p in problems:
        print(f"[check-values] {p}", file=sys.stderr)
    refs = referenced_secrets(k8s) if not problems else []
    print(f"[check-values] {'FAILED' if problems else 'ok'}: "
          f"{len(list((k8s / 'helm').glob('*-values.yaml')))} values files, {len(refs)} secret references")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
