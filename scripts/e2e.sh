#!/usr/bin/env bash
# make e2e: Lanyard on a real single-node cluster, exactly the README's "Install on a cluster" path.
#
# From a clean state: the tools and images (cached), then the test kit's node with SPIRE as
# clusters run it (SPIRE Server, a SPIRE Agent with the k8s workload attestor, spire-controller-
# manager; NodeLauncher), the images imported into the node's containerd, `helm install` of
# charts/lanyard, a labelled namespace, `kubectl apply -f demo-apps/k8s/` unchanged, every pod
# Ready, the assessment through the pipeline over mTLS (the SPIFFE ID that answered each step),
# the two refused calls with their audit records, and `lanyard identities`. Exits non-zero as soon
# as any of it does not hold; prints each phase's time. The node and SPIRE are torn down on exit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
MVN="${MVN:-./mvnw -B}"
TOOLS="${LANYARD_TOOLS:-$HOME/.cache/lanyard/tools}"
STATE="$(mktemp -d /tmp/lanyard-e2e.XXXXXX)"
EVENT='{"text":"Multiple failed SSH login attempts from 203.0.113.5"}'
export PATH="$TOOLS/bin:$PATH"   # kubectl and helm v1.35.4 / v3.21.4, built by install-tools.sh

declare -a PHASES=()
phase_started=0
phase() {   # phase NAME: closes the previous phase (if any) and starts timing NAME
  local now; now=$(date +%s%N)
  if [[ -n "${phase_name:-}" ]]; then
    PHASES+=("$(printf '%-28s %7.1f s' "$phase_name" "$(( (now - phase_started) / 1000000 ))e-3")")
  fi
  phase_name="$1"; phase_started=$now
  [[ -n "$1" ]] && printf '\n==> %s\n' "$1"
  return 0
}
fail() { echo "make e2e: FAILED: $*" >&2; exit 1; }

launcher_pid=""
forwards=()
finish() {
  local rc=$?
  for pid in "${forwards[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [[ -n "$launcher_pid" ]]; then
    if (( rc != 0 )) && [[ -n "${KUBECONFIG:-}" ]]; then
      echo "--- pods at failure:" >&2
      kubectl get pods -A -o wide >&2 || true
      kubectl -n ai-agents get events --sort-by=.lastTimestamp 2>/dev/null | tail -30 >&2 || true
    fi
    touch "$STATE/stop"
    wait "$launcher_pid" || rc=1
    echo; echo "Teardown (NodeLauncher):"; tail -n 3 "$STATE/launcher.log"
  fi
  phase ""
  echo; echo "Phase times:"; printf '  %s\n' "${PHASES[@]}"
  [[ -n "${NODE_START_MS:-}" ]] && printf '  (node ready %.1f s, then SPIRE ready %.1f s)\n' \
    "${NODE_START_MS}e-3" "${SPIRE_START_MS}e-3"
  rm -rf "$STATE"
  (( rc == 0 )) && echo "make e2e: OK" || echo "make e2e: FAILED (exit $rc)" >&2
  exit "$rc"
}
trap finish EXIT

# A free local port for each kubectl port-forward (other builds may hold 8080).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# port_forward NS TARGET REMOTE_PORT: starts `kubectl port-forward` on a free port, prints it.
port_forward() {
  local port; port=$(free_port)
  kubectl -n "$1" port-forward "$2" "$port:$3" >"$STATE/forward-$port.log" 2>&1 &
  forwards+=($!)
  for _ in $(seq 1 100); do
    grep -q "Forwarding from" "$STATE/forward-$port.log" 2>/dev/null && { echo "$port"; return 0; }
    sleep 0.2
  done
  fail "kubectl port-forward $2 $port:$3: $(cat "$STATE/forward-$port.log")"
}

phase "tools and images"
scripts/install-tools.sh
scripts/build-images.sh busybox jre17 python3
# E2E_PREBUILT=1 (CI, right after `make test` built them): use the images and the kit's
# classpath already in target/ instead of packaging the reactor again.
if [[ "${E2E_PREBUILT:-}" == 1 ]]; then
  for built in images/target/images/{webhook,sidecar,javaagent,demo-workloads,demo-notifier}.tar \
      testkit/target/classpath.txt testkit/target/classes; do
    [[ -e "$built" ]] || fail "E2E_PREBUILT=1 but $built is missing: run make test (or make images) first, or unset it"
  done
  echo "make e2e: reusing the images and classes in target/ (E2E_PREBUILT=1)"
else
  $MVN -q package -DskipTests -pl images,testkit -am
fi

phase "node start + SPIRE ready"
java -cp "testkit/target/classes:$(cat testkit/target/classpath.txt)" dev.lanyard.testkit.NodeLauncher \
  "$STATE" lanyard.demo > "$STATE/launcher.log" 2>&1 &
launcher_pid=$!
# The kit allows one node per machine; a running one is waited for (up to 20 minutes).
for _ in $(seq 1 1500); do
  [[ -f "$STATE/node.env" ]] && break
  kill -0 "$launcher_pid" 2>/dev/null || { cat "$STATE/launcher.log" >&2; fail "the node did not start"; }
  sleep 1
done
[[ -f "$STATE/node.env" ]] || fail "the node was not ready within 25 minutes"
# shellcheck disable=SC1091
source "$STATE/node.env"
export KUBECONFIG
grep -E "^testkit: " "$STATE/launcher.log" || true
kubectl get nodes

phase "image import"
for image in webhook sidecar javaagent demo-workloads demo-notifier; do
  ctr --address "$CONTAINERD_ADDRESS" -n k8s.io images import "images/target/images/$image.tar"
done

phase "helm install to webhook Ready"
# As README's "Install on a cluster": hostPath, since no SPIFFE CSI driver registers here.
helm upgrade --install --create-namespace -n lanyard-system lanyard charts/lanyard \
  --set injector.socket.type=hostPath
kubectl -n lanyard-system rollout status deploy/lanyard-webhook --timeout=300s

phase "demo pods Ready"
kubectl create namespace ai-agents
kubectl label namespace ai-agents lanyard.dev/inject=enabled
kubectl apply -f demo-apps/k8s/
kubectl -n ai-agents wait --for=condition=Available deploy --all --timeout=600s
kubectl -n ai-agents get pods -o wide

phase "assessment over mTLS"
orchestrator=$(port_forward ai-agents svc/orchestrator 80)
answer=$(curl -sS --fail-with-body --max-time 120 "localhost:$orchestrator/assess" \
  -H "Content-Type: application/json" -d "$EVENT") || fail "POST /assess: $answer"
echo "$answer" | jq -r '"orchestrator: \(.orchestrator)", (.steps[] | "  \(.step): answered by \(.spiffe_id)"),
  "verdict: \(.verdict | tostring)"'
expected="spiffe://lanyard.demo/ns/ai-agents/sa"
for step in classify:classifier score:confidence-scorer validate:validator notify:notifier; do
  got=$(echo "$answer" | jq -r --arg s "${step%%:*}" '.steps[] | select(.step == $s) | .spiffe_id')
  [[ "$got" == "$expected/${step#*:}" ]] || fail "step ${step%%:*} answered by '$got', not $expected/${step#*:}"
done
[[ "$(echo "$answer" | jq -r .orchestrator)" == "$expected/orchestrator" ]] || fail "orchestrator's own ID"

phase "refused calls and audit"
echo "the orchestrator calls the LLM gateway itself (POST /ask-llm):"
refused=$(curl -sS --max-time 60 -w '\n%{http_code}' "localhost:$orchestrator/ask-llm" \
  -H "Content-Type: application/json" -d "$EVENT")
echo "  orchestrator answered ${refused##*$'\n'}: $(echo "${refused%$'\n'*}" | jq -r '.error // .')"
[[ "${refused##*$'\n'}" != 200 ]] || fail "the LLM gateway accepted the orchestrator"
gateway=$(port_forward ai-agents deploy/llm-gateway 15000)
record=$(curl -sS --max-time 30 "localhost:$gateway/audit?limit=100" \
  | grep -F "\"peer_spiffe_id\":\"$expected/orchestrator\"" | grep -F '"result":"denied"' | tail -1)
[[ -n "$record" ]] || fail "llm-gateway's /audit has no denied record for $expected/orchestrator"
echo "  llm-gateway's javaagent refused it in the TLS handshake; its audit record:"
echo "  $record"

echo "the orchestrator calls the notifier without a JWT-SVID (POST /notify-without-jwt):"
unsigned=$(curl -sS --max-time 60 -w '\n%{http_code}' "localhost:$orchestrator/notify-without-jwt" \
  -H "Content-Type: application/json" -d "$EVENT")
echo "  orchestrator answered ${unsigned##*$'\n'}: $(echo "${unsigned%$'\n'*}" | jq -r '.error // .')"
[[ "${unsigned##*$'\n'}" != 200 ]] || fail "the notifier accepted a call without a JWT-SVID"
notifier=$(port_forward ai-agents deploy/notifier 15000)
jwt_record=$(curl -sS --max-time 30 "localhost:$notifier/audit?limit=100" \
  | grep -F '"action":"jwt.accept"' | grep -F '"result":"denied"' | tail -1)
[[ -n "$jwt_record" ]] || fail "the notifier sidecar's /audit has no denied jwt.accept record"
echo "  the notifier's sidecar refused it (401); its audit record:"
echo "  $jwt_record"

phase "lanyard identities"
identities=$(bin/lanyard identities -n ai-agents)
echo "$identities"
for sa in orchestrator classifier confidence-scorer validator llm-gateway notifier; do
  grep -qF "$expected/$sa" <<<"$identities" || fail "lanyard identities does not list $expected/$sa"
done
phase ""
