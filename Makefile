# TRC: the two commands a newcomer needs are `make run` and `make test`.
NODE := node_modules/.bin/node
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: run test bench lint typecheck unit deps

node_modules/.installed: package.json package-lock.json packages/*/package.json
	npm ci --no-audit --no-fund
	touch $@

deps: node_modules/.installed
	bash scripts/system-deps.sh

test: deps
	$(NODE) node_modules/.bin/eslint --max-warnings 0 .
	$(NODE) node_modules/.bin/tsc --noEmit -p tsconfig.json
	$(NODE) scripts/run-tests.ts

lint: node_modules/.installed
	$(NODE) node_modules/.bin/eslint --max-warnings 0 .

typecheck: node_modules/.installed
	$(NODE) node_modules/.bin/tsc --noEmit -p tsconfig.json

# `make unit T=manifest` runs only the test files whose path contains "manifest".
unit: node_modules/.installed
	$(NODE) scripts/run-tests.ts $(T)

bench: deps
	$(NODE) bench/run.ts $(B)

run: deps
	$(NODE) scripts/run.ts
