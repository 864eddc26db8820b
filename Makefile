# Two commands a newcomer needs: `make run` (a local broker) and `make test` (installs test clients, runs everything).
SHELL := /bin/bash
DOTNET ?= dotnet
CONFIG ?= Release
BROKER_DLL := broker/Server/bin/$(CONFIG)/net10.0/KafkaOperator.Server.dll

.PHONY: all build run test deps format-check unit bench clean run-operator

all: build

build:
	$(DOTNET) build KafkaOperator.sln -c $(CONFIG) -nologo -clp:NoSummary

# A single broker on 127.0.0.1:9092 with its data under ./data. Extra overrides: make run ARGS="--override num.partitions=6"
run:
	$(DOTNET) build broker/Server/KafkaOperator.Server.csproj -c $(CONFIG) -nologo -clp:NoSummary
	$(DOTNET) $(BROKER_DLL) broker/server.properties --override log.dirs=./data $(ARGS)

# Installs the real Kafka clients the tests drive (Debian and npm), then runs format check and every test.
test: deps
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
