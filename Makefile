# Koe's two commands: `make run` (install, demo content, serve on http://127.0.0.1:8000)
# and `make test` (install the test dependencies, then the whole suite; see scripts/test.sh).
# `make run RUN_ARGS="--port 8001"` passes options to `koe run`.
VENV ?= .venv
RUN_ARGS ?=
export KOE_VENV := $(VENV)

.PHONY: run test install lint

run: install
	$(VENV)/bin/koe migrate --verbosity 0
	$(VENV)/bin/koe demo
	$(VENV)/bin/koe run $(RUN_ARGS)

test:
	bash scripts/test.sh

install:
	bash scripts/venv.sh

lint:
	bash scripts/venv.sh test
	$(VENV)/bin/ruff check .
