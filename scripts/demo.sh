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
"$root/.venv/bin/python" scripts/seed_demo.py --endpoint-url "$AWS_ENDPOINT_URL"

firebreak="$root/build/release/firebreak"
run() { echo; echo "\$ firebreak $*"; "$firebreak" "$@"; }
run whoami
run aws ec2 DescribeInstances --query 'Reservations[].Instances[].{id: InstanceId, state: State.Name, tags: Tags}'
run aws iam ListAccessKeys --input '{"UserName": "ci-deployer"}' --query 'AccessKeyMetadata[].{key: AccessKeyId, status: Status}'
run aws s3 ListObjectsV2 --input '{"Bucket": "acme-customer-exports"}' --query 'Contents[].Key'
