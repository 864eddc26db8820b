#!/usr/bin/env bash
# Installs what the tests and benchmarks need and the machine may lack: real Kafka clients from Debian and npm,
# and the native compression libraries the broker calls through P/Invoke. Safe to run again; it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

# python3-snappy/-lz4/-zstandard give kafka-python its snappy, lz4 and zstd codecs; nodejs/npm run the node clients;
# libsnappy1v5 is the reference `make bench` compares the broker's managed snappy (Snappier) with.
# iproute2 (`ip netns`, veth, bridge) puts brokers in network namespaces for the network partition tests.
# prometheus (with promtool) checks config/monitoring's alerts and scrapes a test cluster; the tests start their own
# server on loopback (on a machine with systemd the package also enables its service on :9090).
apt_pkgs=(kafkacat python3-kafka python3-confluent-kafka python3-snappy python3-lz4 python3-zstandard librdkafka-dev
          liblz4-1 libzstd1 libsnappy1v5 nodejs iproute2 prometheus
          build-essential python3 pkg-config libssl-dev libsasl2-dev zlib1g-dev libzstd-dev liblz4-dev libcurl4-openssl-dev)
# `--bench` adds what only `make bench` needs: iperf3 for the loopback limit (gcc/librdkafka-dev are above).
[ "${1:-}" = "--bench" ] && apt_pkgs+=(iperf3)
missing=()
# npm comes with some nodejs builds and separately with Debian's; ask for Debian's only when it is absent.
command -v npm >/dev/null 2>&1 || apt_pkgs+=(npm)
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node clients: kafkajs, and @confluentinc/kafka-javascript built from source against Debian's libraries
# (CKJS_LINKING=dynamic), since no prebuilt binary can be downloaded here.
node_dir=tests/clients/node
if [ ! -f "$node_dir/node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node" ] ||
   [ ! -d "$node_dir/node_modules/kafkajs" ]; then
  echo "install-deps: npm install in $node_dir (builds librdkafka; takes a few minutes)"
  (cd "$node_dir" && CKJS_LINKING=dynamic npm install --no-audit --no-fund --loglevel=error)
fi
# kafkajs's pure-JS codec plugins (added later): installed on their own so an existing client build is kept.
if [ ! -d "$node_dir/node_modules/kafkajs-snappy" ] || [ ! -d "$node_dir/node_modules/lz4js" ] ||
   [ ! -d "$node_dir/node_modules/zstd-codec" ]; then
  (cd "$node_dir" && npm install --no-save --ignore-scripts --no-audit --no-fund --loglevel=error \
    kafkajs-snappy@1.1.0 lz4js@0.2.0 zstd-codec@0.1.5)
fi
