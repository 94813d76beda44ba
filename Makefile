# parselambda: the Parse backend as Go Lambdas. `make run` serves the API locally, `make test` runs every test.
GO        ?= go
PORT      ?= 1337
E2E_DIR   := scripts/e2e
FAMILIES  := classes users sessions roles installations files functions jobs push schemas config batch rest

.PHONY: run test test-go test-e2e e2e-deps lint bench build invoke clean

run: ## serve the whole API on http://localhost:1337/parse (embedded FerretDB unless MONGODB_URI is set)
	PORT=$(PORT) $(GO) run ./scripts/server

e2e-deps: ## install the pinned Parse JS SDK for the end-to-end tests
	@if [ ! -d $(E2E_DIR)/node_modules ]; then cd $(E2E_DIR) && npm ci --no-audit --no-fund; fi

test: e2e-deps ## every test: Go (engine, handlers, functions, infra) and the JS SDK end-to-end suite
	$(GO) test -count=1 -timeout 25m ./...

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench: ## benchmarks of the request path, the engine and the Lambda path (ns/op, allocs/op)
	$(GO) test -run '^$$' -bench . -benchmem ./shared/... ./functions/...

.PHONY: bench-compare
bench-compare: ## Parse Server 7.3 vs ours on one FerretDB: req/s, p50/p90/p99, server CPU per request, RSS, lost updates, cold start (16–18 min; writes bench-results/latest.json; BENCH_FLAGS=-smoke for a quick run)
	@# go build, not go run: go run strips the symbols perf needs to split the floor server's sign-up CPU
	$(GO) build -o build/benchcompare ./scripts/benchcompare && ./build/benchcompare $(BENCH_FLAGS)

build: ## cross-compile every function to build/<family>/bootstrap (provided.al2023, arm64) and print the sizes
	@for f in $(FAMILIES); do \
	  test -f functions/$$f/main.go || { echo "build: functions/$$f/main.go is missing"; exit 1; }; \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags '-s -w' -o build/$$f/bootstrap ./functions/$$f || exit 1; \
	done
	@for f in $(FAMILIES); do wc -c build/$$f/bootstrap; done | awk '{printf "%-30s %5.1f MB\n", $$2, $$1/1048576; t += $$1} END {printf "%-30s %5.1f MB\n", "total", t/1048576}'

invoke: ## run a function's real bootstrap on an event (fake Runtime API): make invoke FN=classes EVENT=testevents/classes-create.json
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<family> EVENT=testevents/<file>.json"; exit 2; }
	@test -f functions/$(FN)/main.go || { echo "invoke: no function functions/$(FN)"; exit 2; }
	@CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -o build/host/$(FN)/bootstrap ./functions/$(FN)
	@$(GO) run ./functions/internal/cmd/invoke -fn $(FN) -bin build/host/$(FN)/bootstrap $(foreach e,$(EVENT),-event $(e))

clean:
	rm -rf build cdk.out

-include infra/infra.mk
