# The incident bot. `make help` lists the targets.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
GO      ?= go
FUZZTIME ?= 30s

.PHONY: help build run test bench load lint fuzz clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-6s %s\n", $$1, $$2}'

build: ## build the static binary ./bot, version stamped
	@if [ -e bot ]; then echo "make build: building ./bot"; else echo "make build: building ./bot. The first build downloads the Go modules and compiles every package, which takes a few minutes; later builds take seconds."; fi
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bot ./cmd/bot

run: build ## bot serve when SLACK_BOT_TOKEN is set (environment or .env), else the local playground (bot play)
	./scripts/run.sh

test: ## run every test, with the race detector; a line as each package finishes
	GO=$(GO) ./scripts/test.sh

bench: ## run the benchmarks and print the table
	GO=$(GO) ./scripts/bench.sh

load: build ## load a running bot (BOT_ADDR) with signed requests; ARGS="-kind event -c 64 -floor"
	./bot loadtest $(ARGS)

lint: ## gofmt check and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fuzz: ## fuzz each target for FUZZTIME (default 30s); a crasher is saved under testdata/fuzz and fails the run
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || echo "   (stopped early; see above)"; \
	  done; done
	@new=$$(git status --porcelain --untracked-files=all -- '*/testdata/fuzz/*'); \
	  if [ -n "$$new" ]; then echo "new failing inputs:"; echo "$$new"; exit 1; fi

clean: ## remove the binary
	rm -f bot
