#!/usr/bin/env bash
# Installs everything firebreak needs to build and test on a fresh Debian machine:
# the C/C++ libraries (Debian packages only) and a Python virtual environment with the
# pinned botocore (service models), moto (local AWS), boto3 and pytest (end-to-end tests).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

apt_packages=(
  cmake ninja-build g++ pkg-config make
  libcurl4-openssl-dev libssl-dev libsimdjson-dev nlohmann-json3-dev libpugixml-dev
  libcli11-dev libfmt-dev libsqlite3-dev libdeflate-dev libpq-dev libmariadb-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  jq python3 python3-venv
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

venv="$root/.venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$root/scripts/requirements.txt" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "setup: creating Python environment in .venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$root/scripts/requirements.txt"
  echo "$want" > "$stamp"
fi
