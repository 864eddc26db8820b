#!/usr/bin/env bash
# Installs what the tests and benchmarks need and the machine may lack: real Kafka clients from Debian and npm,
# and the native compression libraries the broker calls through P/Invoke. Safe to run again; it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_pkgs=(kafkacat python3-kafka python3-confluent-kafka librdkafka-dev
          liblz4-1 libzstd1 libsnappy1v5
          build-essential python3 pkg-config libssl-dev libsasl2-dev zlib1g-dev libzstd-dev liblz4-dev libcurl4-openssl-dev)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Node clients: kafkajs, and @confluentinc/kafka-javascript built from source against Debian's libraries
# (CKJS_LINKING=dynamic), since no prebuilt binary can be downloaded here.
node_dir=tests/clients/node
if [ ! -f "$node_dir/node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node" ] ||
   [ ! -d "$node_dir/node_modules/kafkajs" ]; then
  echo "install-deps: npm install in $node_dir (builds librdkafka; takes a few minutes)"
  (cd "$node_dir" && CKJS_LINKING=dynamic npm install --no-audit --no-fund --loglevel=error)
fi
