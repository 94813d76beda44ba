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

bench: ## benchmarks of the request path (ns/op, allocs/op)
	$(GO) test -run '^$$' -bench . -benchmem ./shared/...

build: ## cross-compile every function to build/<family>/bootstrap (provided.al2023, arm64)
	@for f in $(FAMILIES); do \
	  if [ -d functions/$$f ]; then \
	    GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags '-s -w' -o build/$$f/bootstrap ./functions/$$f || exit 1; \
	  fi; \
	done
	@ls -l build/*/bootstrap 2>/dev/null | awk '{printf "%-40s %6.1f MB\n", $$9, $$5/1048576}'

clean:
	rm -rf build cdk.out

-include infra/infra.mk
