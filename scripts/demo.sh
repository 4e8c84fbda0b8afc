#!/usr/bin/env bash
# README command (a): install what is needed, build, start a local AWS (moto) seeded with a
# compromised account, and run firebreak against it. Nothing here touches real AWS.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
bash scripts/build.sh

port="$("$root/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$root/.venv/bin/python" -m moto.server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true' EXIT

# The demo's credentials are moto's test values; FIREBREAK_HOME keeps the demo's cases apart.
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export FIREBREAK_HOME="$root/build/demo-home"
seed="$("$root/.venv/bin/python" scripts/seed_demo.py --endpoint-url "$AWS_ENDPOINT_URL")"
instance="$(jq -r .compromised_instance <<<"$seed")"
key="$(jq -r .leaked_key <<<"$seed")"
rm -rf "$FIREBREAK_HOME"

firebreak="$root/build/release/firebreak"
run() { echo; echo "\$ firebreak $*"; "$firebreak" "$@" || true; }
run whoami
run aws ec2 DescribeInstances --query 'Reservations[].Instances[].{id: InstanceId, state: State.Name, groups: SecurityGroups[].GroupName}'
# The compromised web server: first the plan (nothing changes), then the playbook for real.
run ec2 "$instance" --case demo-ec2
run ec2 "$instance" --case demo-ec2 --apply --revoke-role-sessions
run aws ec2 DescribeInstances --input "{\"InstanceIds\": [\"$instance\"]}" --query 'Reservations[].Instances[].SecurityGroups[].GroupName'
# The leaked CI key: deactivated, its user's sessions revoked.
# What the key did is hunted in CloudTrail logs; moto has no LookupEvents, so the demo reads
# real recorded logs when they are beside the project (../shared/data), and says so otherwise.
trail_logs="$root/../shared/data/stratus-red-team-detonation-logs"
trail_args=(); [[ -d "$trail_logs" ]] && trail_args=(--trail-logs "$trail_logs")
run credentials "$key" --case demo-key --apply "${trail_args[@]}"
run aws iam ListAccessKeys --input '{"UserName": "ci-deployer"}' --query 'AccessKeyMetadata[].{key: AccessKeyId, status: Status}'
finding="$root/build/demo-finding.json"
jq .s3_finding <<<"$seed" >"$finding"
run respond "$finding"
run respond "$finding" --case demo-s3 --apply -- "${trail_args[@]}"
run aws s3 GetPublicAccessBlock --input '{"Bucket": "acme-customer-exports"}'
run case list
run case verify demo-ec2
