# Vaxtrace: the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := run
SWIFT ?= swift

.PHONY: run test bench lint format build clean

## run: install what is missing, build, migrate, load reference and demo data, serve on 127.0.0.1:8080 (SQLite)
run:
	@scripts/install-deps.sh run
	@scripts/dev-env.sh
	$(SWIFT) build --product vaxtrace
	.build/debug/vaxtrace serve

## test: lint, then (on SQLite and on a throwaway PostgreSQL) schemathesis against the live server and the whole suite, then the `vaxtrace en` commands on the published GAEN files; each step has a time limit (schemathesis 20 min, the suite TEST_TIMEOUT, the en commands 10 min), so a stuck step fails instead of holding CI
test:
	@scripts/install-deps.sh test
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests
	$(SWIFT) build --build-tests
	scripts/with-postgres.sh bash -c 'timeout --kill-after=30 1200 scripts/schemathesis.sh && scripts/run-tests.sh'
	timeout --kill-after=30 600 scripts/check-en-cli.py .build/debug/vaxtrace

## bench: the certificate (HC1 verify/issue vs openssl speed), GAEN matching (RPIs/s vs openssl AES), registry (1.3 M people), campaign (100k list upload, 200 doses/s for 60 s over HTTP), check-in (wrk vs pgbench, durable PostgreSQL), tracing (50 M check-ins) and dashboards (1.3 M people, rollups vs GROUP BY) benchmarks, release build
bench:
	@scripts/install-deps.sh bench
	$(SWIFT) build -c release --product vaxtrace
	.build/release/vaxtrace bench certificates
	.build/release/vaxtrace bench en
	scripts/with-postgres.sh bash -c '.build/release/vaxtrace bench registry --people $${PEOPLE:-1300000} --postgres-url "$$TEST_POSTGRES_URL" \
	  && .build/release/vaxtrace bench campaign --registrations $${REGISTRATIONS:-100000} --postgres-url "$$TEST_POSTGRES_URL"'
	PG_DURABLE=1 scripts/with-postgres.sh scripts/bench-checkins.sh
	scripts/with-postgres.sh bash -c '.build/release/vaxtrace bench tracing --checkins $${CHECKINS:-50000000} --postgres-url "$$TEST_POSTGRES_URL"'
	scripts/with-postgres.sh bash -c '.build/release/vaxtrace bench dashboards --people $${DASHBOARD_PEOPLE:-1300000} --postgres-url "$$TEST_POSTGRES_URL"'

lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

format:
	$(SWIFT) format format --in-place --recursive Package.swift Sources Tests

clean:
	rm -rf .build var
