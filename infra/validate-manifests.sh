#!/usr/bin/env bash
# Schema validation of the deployment files in infra/k8s (run by CI; offline apart from the Go module proxy).
#
#  1. kubeconform (go install from the Go module proxy, pinned) validates every manifest in
#     infra/k8s/spark and infra/k8s/secrets strictly (unknown fields fail) against JSON schemas made from
#     the CRDs that the operators ship in their own Go modules: the Spark operator's SparkApplication and
#     the External Secrets Operator's ExternalSecret (downloaded with `go mod download`, pinned versions).
#  2. infra/k8s/check_values.py validates the Helm values files against minsheng's policy schemas and checks
#     that every Secret they or the SparkApplications use is produced by an ExternalSecret.
# A manifest of a kind with no schema fails (no silent skip).
#   infra/validate-manifests.sh [K8S_DIR]     (default infra/k8s)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
k8s_dir="$(cd "${1:-$root/infra/k8s}" && pwd)"
cd "$root"

KUBECONFORM_VERSION="${KUBECONFORM_VERSION:-v0.7.0}"
SPARK_OPERATOR_VERSION="${SPARK_OPERATOR_VERSION:-v2.5.2}"
EXTERNAL_SECRETS_VERSION="${EXTERNAL_SECRETS_VERSION:-v0.20.4}"
tools="$root/var/tools"
schemas="$root/var/k8s-schemas"
python="$root/.venv/bin/python"
say() { printf '[validate-manifests] %s\n' "$*"; }

command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ] || {
  say "ERROR: Go is needed (apt-get install golang-go, or the Go toolchain in /usr/local/go)"; exit 1; }
export PATH="$PATH:/usr/local/go/bin"
export GOFLAGS="${GOFLAGS:--mod=mod}"

# 1. kubeconform, pinned, into var/tools/bin.
kubeconform="$tools/bin/kubeconform"
if [ ! -x "$kubeconform" ] || [ "$(cat "$tools/kubeconform.version" 2>/dev/null)" != "$KUBECONFORM_VERSION" ]; then
  say "installing kubeconform $KUBECONFORM_VERSION"
  GOBIN="$tools/bin" go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
  echo "$KUBECONFORM_VERSION" >"$tools/kubeconform.version"
fi

# 2. CRDs from the operators' Go modules -> JSON schemas.
module_dir() {
  (cd "$tools" && go mod download -json "$1@$2") | "$python" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'
}
mkdir -p "$tools" "$schemas"
spark_op="$(module_dir github.com/kubeflow/spark-operator/v2 "$SPARK_OPERATOR_VERSION")"
eso="$(module_dir github.com/external-secrets/external-secrets "$EXTERNAL_SECRETS_VERSION")"
rm -f "$schemas"/*.json
"$python" infra/k8s/crd_to_jsonschema.py "$schemas" \
  "$spark_op/config/crd/bases/sparkoperator.k8s.io_sparkapplications.yaml" \
  "$eso/config/crds/bases/external-secrets.io_externalsecrets.yaml" >/dev/null
say "schemas: $(cd "$schemas" && ls | paste -sd' ') (spark-operator $SPARK_OPERATOR_VERSION, external-secrets $EXTERNAL_SECRETS_VERSION)"

# 3. Validate.
"$kubeconform" -strict -summary -output text \
  -schema-location "$schemas/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json" \
  "$k8s_dir/spark" "$k8s_dir/secrets"
"$python" infra/k8s/check_values.py "$k8s_dir"
