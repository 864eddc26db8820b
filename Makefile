# Two commands a newcomer needs: `make run` (a local cluster) and `make test` (installs test clients, runs everything).
SHELL := /bin/bash
DOTNET ?= dotnet
CONFIG ?= Release
BROKER_DLL := broker/Server/bin/$(CONFIG)/net10.0/KafkaOperator.Server.dll

.PHONY: all build run test deps format-check unit bench clean run-operator

all: build

build:
	$(DOTNET) build KafkaOperator.sln -c $(CONFIG) -nologo -clp:NoSummary

# A local 3-broker cluster (one quorum, clients on 127.0.0.1:9092-9094, data under ./data/cluster/broker-N); BROKERS=1
# runs a single node (./data/single, as in server.properties; the two layouts never share a directory); kafkactl is built too (tools/Admin/bin/$(CONFIG)). NODE=1 starts (or restarts) only broker 1 of the cluster, with the same settings.
# BROKERS=5 CONTROLLERS=3: nodes 0-2 combined (quorum voters), 3-4 broker-only; NODE=5 then adds a broker-only node.
# Extra overrides for every broker: make run ARGS="--override num.partitions=6". Fails when a broker cannot start.
run:
	$(DOTNET) build broker/Server/KafkaOperator.Server.csproj -c $(CONFIG) -nologo -clp:NoSummary
	$(DOTNET) build tools/Admin/KafkaOperator.Admin.csproj -c $(CONFIG) -nologo -clp:NoSummary -v:q
	BROKER_DLL=$(BROKER_DLL) bash scripts/run-cluster.sh $(ARGS)

# Installs the real Kafka clients the tests drive (Debian and npm), then runs format check and every test.
# scripts/test.sh installs the test clients itself, while the solution builds.
test:
	bash scripts/test.sh

deps:
	bash scripts/install-deps.sh

format-check:
	$(DOTNET) format KafkaOperator.sln --verify-no-changes --no-restore

bench: deps
	bash scripts/bench.sh

clean:
	$(DOTNET) clean KafkaOperator.sln -nologo
	rm -rf data out

# ---- Operator -------------------------------------------------------------------------------------------------
# `make crds` regenerates crds/ from the C# types (a test fails when it is stale).
# `make images`, `make deploy` and `make e2e` need a Docker engine and a cluster in KUBECONFIG; the development
# sandbox has neither, so they are provided for real environments and were not run there.
OPERATOR_PROJ := operator/Operator/KafkaOperator.Operator.csproj
OPERATOR_DLL := operator/Operator/bin/$(CONFIG)/net10.0/KafkaOperator.Operator.dll
# config/deployment.yaml names both images with these defaults, so `kubectl apply -k config/` and a plain
# `make deploy` deploy what a plain `make images` builds; `make deploy REGISTRY=... TAG=...` substitutes both.
CONFIG_REGISTRY := ghcr.io/kafkaoperator
CONFIG_TAG := dev
REGISTRY ?= $(CONFIG_REGISTRY)
TAG ?= $(CONFIG_TAG)
BROKER_IMAGE ?= $(REGISTRY)/broker:$(TAG)
OPERATOR_IMAGE ?= $(REGISTRY)/operator:$(TAG)
KUBECTL ?= kubectl

.PHONY: crds images deploy undeploy e2e operator-help

operator-help:
	@echo "make crds          regenerate crds/*.yaml from operator/Operator/Crds (commit the result)"
	@echo "make run-operator  run the operator locally against the cluster in KUBECONFIG (needs a cluster; no leader election;"
	@echo "                   topic reconciliation needs the brokers' in-cluster DNS names to resolve from this machine)"
	@echo "make images        build $(BROKER_IMAGE) and $(OPERATOR_IMAGE) (needs Docker; REGISTRY=... TAG=... to change)"
	@echo "make deploy        kubectl apply -f crds/ and -k config/ with both images (needs a cluster; same REGISTRY/TAG)"
	@echo "make e2e           end-to-end suite against the cluster in KUBECONFIG (needs a cluster; not part of make test)"

crds:
	$(DOTNET) build $(OPERATOR_PROJ) -c $(CONFIG) -nologo -clp:NoSummary -v:q
	$(DOTNET) $(OPERATOR_DLL) generate-crds crds

run-operator:
	$(DOTNET) build $(OPERATOR_PROJ) -c $(CONFIG) -nologo -clp:NoSummary -v:q
	$(DOTNET) $(OPERATOR_DLL) run --leader-election=false --plain-logs --port=8080 --broker-image=$(BROKER_IMAGE) $(ARGS)

images:
	docker build -f broker/Dockerfile -t $(BROKER_IMAGE) .
	docker build -f operator/Dockerfile -t $(OPERATOR_IMAGE) .

# MONITORING=1 adds the config/monitoring component (PodMonitors, PrometheusRule alerts, Grafana dashboard; needs the
# Prometheus Operator's CRDs) through an overlay in out/ (kustomize refuses an overlay inside the base it extends).
deploy:
	$(KUBECTL) apply --server-side -f crds/
	set -euo pipefail; dir=config; if [ "$(MONITORING)" = 1 ]; then dir=out/deploy-monitoring; mkdir -p $$dir; \
		printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../../config]\ncomponents: [../../config/monitoring]\n' > $$dir/kustomization.yaml; fi; \
	manifests=$$($(KUBECTL) kustomize $$dir \
		| sed -e 's|$(CONFIG_REGISTRY)/operator:$(CONFIG_TAG)|$(OPERATOR_IMAGE)|g' -e 's|$(CONFIG_REGISTRY)/broker:$(CONFIG_TAG)|$(BROKER_IMAGE)|g'); \
	grep -q 'image: $(OPERATOR_IMAGE)$$' <<<"$$manifests" && grep -q -- '--broker-image=$(BROKER_IMAGE)$$' <<<"$$manifests" \
		|| { echo "make deploy: config/deployment.yaml no longer names $(CONFIG_REGISTRY)/{operator,broker}:$(CONFIG_TAG)" >&2; exit 1; }; \
	$(KUBECTL) apply -f - <<<"$$manifests"

undeploy:
	$(KUBECTL) delete -k config/ --ignore-not-found
	$(KUBECTL) delete -f crds/ --ignore-not-found

e2e:
	bash tests/e2e/run.sh
