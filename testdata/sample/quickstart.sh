#!/usr/bin/env bash
# Builds a small sample repository under testdata/sample/.work — a bare
# origin and a clone — with a pull request branch that conflicts with main
# and uses an API removed in Kubernetes v1.22, then runs merge-check on it.
# SAMPLE_WORK names another directory for it (the README's test runs it
# in a temporary one); its contents are replaced.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${SAMPLE_WORK:-$here/.work}
rm -rf "$work"
mkdir -p "$work"

export GIT_AUTHOR_NAME=sample GIT_AUTHOR_EMAIL=sample@shipgate.invalid
export GIT_COMMITTER_NAME=sample GIT_COMMITTER_EMAIL=sample@shipgate.invalid
g() { git -c init.defaultBranch=main -c advice.detachedHead=false "$@"; }

g init -q --bare "$work/origin.git"
g clone -q "$work/origin.git" "$work/repo" 2>/dev/null
cd "$work/repo"
cp -r "$here/deploy" deploy
g add deploy && g commit -q -m "shop: web deployment"
g push -q origin HEAD:main

# The pull request: more replicas, a new image and an old Ingress.
g switch -q -c feature
sed -i 's/replicas: 2/replicas: 4/; s/web:1.4.0/web:1.5.0/' deploy/web.yaml
cat > deploy/ingress.yaml <<'YAML'
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: web
  namespace: shop
spec:
  rules:
    - host: shop.example.com
      http:
        paths:
          - path: /
            backend:
              serviceName: web
              servicePort: 80
YAML
g add deploy && g commit -q -m "web 1.5.0 with an ingress"
g push -q origin feature

# Meanwhile main moved: someone else changed the replicas too.
g switch -q main
sed -i 's/replicas: 2/replicas: 3/' deploy/web.yaml
g commit -q -am "web: 3 replicas"
g push -q origin main
g reset -q --hard HEAD~1 # the local main is stale; merge-check fetches origin's tip

cd "$root"
set +e
go build -o "$work/shipgate" .
"$work/shipgate" merge-check --repo "$work/repo" --base main --head feature \
  --kubernetes-version v1.33.0 --manifests deploy --report-dir "$work/report"
code=$?
set -e
case $code in
  1) echo "merge-check found the sample's conflict and removed API, as it should (exit code 1). Reports: $work/report" ;;
  0) echo "merge-check found nothing in the sample; that is a bug" >&2; exit 1 ;;
  *) exit "$code" ;;
esac
