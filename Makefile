# Tandem: the two commands that matter are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PROTOVALIDATE_VERSION := v1.2.2
BUF_VERSION := 1.75.0
BUF := api/node_modules/.bin/buf

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# `make run ARGS=--demo-reset` starts the demo afresh.
ARGS ?=

.PHONY: run
run: ## run tandemd on the embedded SQLite store (backend/tandem-data) with demo data; ARGS=--demo-reset starts it afresh
	@echo "building tandemd... (the first build takes a minute or two)"
	@mkdir -p .bin
	cd backend && go build -o ../.bin/tandemd ./cmd/tandemd
	cd backend && exec ../.bin/tandemd --demo $(ARGS)

# The MySQL/MariaDB the tests use besides SQLite; each test makes and drops
# its own database there. `make test-sqlite` runs without one.
TANDEM_TEST_MYSQL_DSN ?= root@tcp(127.0.0.1:3306)/test

.PHONY: test-env
test-env: ## install (apt, asks for sudo if needed) and start what make test needs; quick when all is there
	@TANDEM_TEST_MYSQL_DSN='$(TANDEM_TEST_MYSQL_DSN)' bash .ci/setup

# The race detector instruments our code and the libraries it shares memory
# with, but not two compute kernels that only touch their own: the SQLite
# engine (C translated to Go, under modernc.org/sqlite's instrumented driver)
# and argon2 with its blake2b. Instrumented, they made every test database
# cost three times the CPU and every password hash a fifth of a second.
RACE := -race $(foreach p,modernc.org/sqlite/lib modernc.org/libc/... modernc.org/memory modernc.org/mathutil golang.org/x/crypto/argon2 golang.org/x/crypto/blake2b,-gcflags=$(p)=-race=false)

# A race-instrumented binary sleeps a second before it exits by default
# (ThreadSanitizer's atexit_sleep_ms), a second lost to each of the forty
# test binaries here. A race is reported when it happens, not at exit.
export GORACE ?= atexit_sleep_ms=0

# The Go packages whose tests take longest, started first (go test runs
# packages in the order named, one per core): started last, they kept one
# core busy alone at the end.
SLOW_FIRST := ./cmd/tandembench ./internal/server ./internal/faulttest ./internal/knowledge

.PHONY: test
test: test-env buf vet widget-test ## set up (test-env), then run every test: Go on SQLite and MariaDB/MySQL under the race detector, the widget in Chromium, the desktop app (in a real window under Xvfb)
	cd backend && TANDEM_TEST_MYSQL_DSN='$(TANDEM_TEST_MYSQL_DSN)' go test $(RACE) -count=1 -timeout 25m $(SLOW_FIRST) ./...
	$(MAKE) -j2 --output-sync=recurse test-browser test-desktop

.PHONY: test-desktop
test-desktop: ## the desktop app's tests: Go and vitest, then the built app in a real window under Xvfb
	$(MAKE) -C desktop test test-window

# `make bench BENCH_ARGS="-scenario S7a,S7b -runs 1"` passes flags to the tool.
BENCH_ARGS ?=

.PHONY: bench
bench: ## every benchmark scenario (S1-S6, S7a-S7d) at full size, three runs each, against same-run baselines (docs/BENCHMARKS.md)
	cd backend && TANDEM_TEST_MYSQL_DSN='$(TANDEM_TEST_MYSQL_DSN)' go run ./cmd/tandembench -json ../bench.json $(BENCH_ARGS)

# `make eval EVAL_ARGS="-mode model -v"` passes flags to the command.
EVAL_ARGS ?=

.PHONY: eval
eval: ## measure the AI agent on its evaluation set, without and with a (scripted) model (docs/AI.md)
	cd backend && go run ./cmd/tandemeval $(EVAL_ARGS)

.PHONY: test-sqlite
test-sqlite: vet ## run every test on SQLite only (no database server needed)
	cd backend && TANDEM_TEST_MYSQL_DSN= go test $(RACE) -count=1 -timeout 25m ./...

.PHONY: widget
widget: ## build the web widget into backend/webwidget/dist (committed; tandemd embeds it)
	cd backend/webwidget && npm ci --no-audit --no-fund --loglevel=error && npm run build

.PHONY: check-widget
check-widget: widget ## fail when the committed widget bundle is stale
	@git diff --exit-code --stat -- backend/webwidget/dist || (echo "widget bundle is stale: run make widget and commit" >&2; exit 1)
	@test -z "$$(git status --porcelain -- backend/webwidget/dist)" || (git status --porcelain -- backend/webwidget/dist; echo "untracked widget files: run make widget and commit" >&2; exit 1)

.PHONY: webapp
webapp: ## build the agent web app (the desktop app's views, browser host) into backend/webapp/dist (committed; tandemd serves it at /app)
	cd desktop/frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build:web

.PHONY: check-webapp
check-webapp: webapp ## fail when the committed web app bundle is stale
	@git diff --exit-code --stat -- backend/webapp/dist || (echo "web app bundle is stale: run make webapp and commit" >&2; exit 1)
	@test -z "$$(git status --porcelain -- backend/webapp/dist)" || (git status --porcelain -- backend/webapp/dist; echo "untracked web app files: run make webapp and commit" >&2; exit 1)

.PHONY: widget-test
widget-test: ## the widget's unit tests (vitest)
	@[ -d backend/webwidget/node_modules ] || (cd backend/webwidget && npm ci --no-audit --no-fund --loglevel=error)
	cd backend/webwidget && npm test

.PHONY: test-browser
test-browser: ## the widget and the agent web app in headless Chromium against a real tandemd --demo (needs /usr/bin/chromium)
	@[ -d backend/webwidget/node_modules ] || (cd backend/webwidget && npm ci --no-audit --no-fund --loglevel=error)
	cd backend/webwidget && npm run test:browser
	# The web app's tests use the widget's harness (and its playwright-core).
	cd backend/webwidget && node --test --test-concurrency=1 ../../desktop/frontend/test/browser/

# golangci-lint, pinned in .ci/setup (which installs it into .bin once).
GOLANGCI_LINT_VERSION := $(shell sed -n 's/^GOLANGCI_LINT_VERSION=//p' .ci/setup)

.PHONY: lint
lint: ## golangci-lint (the pinned one in .bin, which make test-env installs) on backend/: errcheck, errorlint, gosec, ... and depguard's import order of the floors (backend/.golangci.yml)
	@[ -x .bin/golangci-lint ] && [ "$$(cat .bin/golangci-lint.version 2>/dev/null)" = "$(GOLANGCI_LINT_VERSION)" ] || \
	  (echo "golangci-lint $(GOLANGCI_LINT_VERSION) is not in .bin: run make test-env, or only GOBIN=$$PWD/.bin go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION) && echo $(GOLANGCI_LINT_VERSION) > .bin/golangci-lint.version" >&2; exit 1)
	cd backend && ../.bin/golangci-lint run ./...

.PHONY: vet
vet: ## gofmt, go vet, go.mod as go mod tidy would write it, and no big (binary) file tracked
	@out=$$(gofmt -l backend); [ -z "$$out" ] || (echo "gofmt needed: $$out" >&2; exit 1)
	cd backend && go vet ./...
	@cd backend && go mod tidy -diff >/dev/null || (echo "backend/go.mod is not tidy: run go mod tidy in backend" >&2; exit 1)
	@big=$$(git ls-files -z | xargs -0 du -k 2>/dev/null | awk '$$1 > 2048 {print $$2}'); [ -z "$$big" ] || (echo "tracked files over 2 MiB (binaries?): $$big" >&2; exit 1)

.PHONY: tools
tools: ## install the pinned code generators (Go plugins into .bin, buf and protoc-gen-es into api/node_modules)
	@mkdir -p .bin
	cd api && go build -o ../.bin/protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go
	cd api && go build -o ../.bin/protoc-gen-connect-go connectrpc.com/connect/cmd/protoc-gen-connect-go
	cd api && npm install --no-audit --no-fund --loglevel=error
	@$(MAKE) --no-print-directory buf
	@dir=$$(cd backend && go mod download -json github.com/bufbuild/protovalidate@$(PROTOVALIDATE_VERSION) | sed -n 's/.*"Dir": "\(.*\)".*/\1/p'); \
	  mkdir -p .buf-deps/protovalidate/buf/validate; \
	  install -m 0644 $$dir/proto/protovalidate/buf/validate/validate.proto .buf-deps/protovalidate/buf/validate/

.PHONY: buf
buf: ## install the pinned buf into api/node_modules/.bin (for buf curl and codegen)
	@[ "$$($(BUF) --version 2>/dev/null)" = "$(BUF_VERSION)" ] || (cd api && npm install --no-save --no-audit --no-fund --loglevel=error @bufbuild/buf@$(BUF_VERSION))

.PHONY: generate
generate: tools ## lint the protos and regenerate api/ (Go and TypeScript)
	$(BUF) lint
	rm -rf api/tandem api/ts
	$(BUF) generate --path proto/tandem
	cd api && go mod tidy

.PHONY: check-generated
check-generated: generate ## fail when the committed generated code is stale
	@git diff --exit-code --stat -- api/ || (echo "generated code is stale: run make generate and commit" >&2; exit 1)
	@test -z "$$(git status --porcelain -- api/)" || (git status --porcelain -- api/; echo "untracked generated files: run make generate and commit" >&2; exit 1)
