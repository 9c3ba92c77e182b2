# Postgate build, run and test entry points. See README.md.

GO ?= go
export PATH := $(PATH):/usr/local/go/bin

.PHONY: all build run test vet fmt bench clean help

all: build

## build: compile bin/postgate
build:
	$(GO) build -o bin/postgate ./cmd/postgate

## run: install PostgreSQL if missing, then run `postgate serve --demo` on the embedded database
run:
	bash scripts/run.sh --demo $(ARGS)

## test: run every test against a private PostgreSQL cluster started for the run
test:
	bash scripts/test.sh

## vet: go vet and gofmt check
vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd internal)" || { gofmt -l cmd internal; exit 1; }

## fmt: gofmt the tree
fmt:
	gofmt -w cmd internal

## bench: load-test Postgate against the Go+pgx reference and pgbench (see bench/RESULTS.md)
bench:
	bash bench/run.sh

clean:
	rm -rf bin

help:
	@grep -E "^## " Makefile | sed "s/^## /  /"
