# CDK app targets, included by the repository Makefile (`include infra/infra.mk`); paths are relative to
# the repository root, where cdk.json lives.
#
#   make synth                      cdk synth into cdk.out (stage dev)
#   make synth CDK_STAGE=prod CDK_ARGS='-c nat=true -c senderEmail=noreply@example.com'
#   make infra-test                 go test ./infra/...
#
# Context keys are listed in infra/README.md.

CDK_STAGE ?= dev
CDK_ARGS ?=
CDK_BUILD_DIR ?= build
CDK := infra/node_modules/.bin/cdk
CDK_ENV := CDK_DISABLE_CLI_TELEMETRY=true AWS_EC2_METADATA_DISABLED=true JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
# Family names, read from the one table (shared/families/families.go).
INFRA_FAMILIES := $(shell sed -n 's/.*{Name: "\([A-Za-z0-9_-]*\)".*/\1/p' shared/families/families.go)

.PHONY: synth infra-test infra-deps infra-placeholders

# The CDK CLI, pinned in infra/package.json. npm deletes unknown files in node_modules, so the go.mod stub
# (which keeps the CLI's Go init templates out of ./... until go.mod ignores ./infra/node_modules) is
# written after every install.
$(CDK): infra/package.json infra/package-lock.json
	cd infra && npm ci --no-audit --no-fund
	@touch $@

infra-deps: $(CDK)
	@printf 'module ignored.invalid/infra-node-modules\n' > infra/node_modules/go.mod

# Placeholder bootstrap files only for families whose real build is missing. They are dated 1970 so that
# any real build rule still sees them as out of date.
infra-placeholders:
	@for f in $(INFRA_FAMILIES); do \
	  if [ ! -e $(CDK_BUILD_DIR)/$$f/bootstrap ]; then \
	    mkdir -p $(CDK_BUILD_DIR)/$$f && printf 'placeholder\n' > $(CDK_BUILD_DIR)/$$f/bootstrap && \
	    touch -d @0 $(CDK_BUILD_DIR)/$$f/bootstrap && \
	    echo "synth: placeholder $(CDK_BUILD_DIR)/$$f/bootstrap (not deployable; build the functions first)"; \
	  fi; \
	done

synth: infra-deps infra-placeholders
	$(CDK_ENV) $(CDK) synth --no-notices --quiet --output cdk.out -c stage=$(CDK_STAGE) -c buildDir=$(CDK_BUILD_DIR) $(CDK_ARGS)

infra-test:
	@if [ -d infra/node_modules ]; then printf 'module ignored.invalid/infra-node-modules\n' > infra/node_modules/go.mod; fi
	go test ./infra/...
