# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: browser install run test faults lint typecheck unit workflows integration bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The console's front-end libraries come from the npm registry at install time (the lock
# file pins them), never from the internet at run time.
VENDOR := api/console/static/vendor
$(VENDOR)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/
	touch $@

# The browser tests drive Debian's Chromium; installed here where it is missing and we may.
APT := DEBIAN_FRONTEND=noninteractive apt-get -y -q
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& { $(APT) install chromium >/dev/null 2>&1 \
		     || { $(APT) update >/dev/null && $(APT) install chromium >/dev/null; }; }; } \
		|| echo "no chromium: the browser tests will fail (apt-get install chromium)"

install: $(STAMP) $(VENDOR)/.installed

run: install
	$(BIN)/orderflow run

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy .

test: install browser lint typecheck
	$(BIN)/pytest -q -m "not long"

# Fault tests that take over two minutes each (CI runs them after `make test`).
faults: $(STAMP)
	$(BIN)/pytest -q -m long

# Orders per second through the real stack against a same-shape baseline (see bench/run.py);
# BENCH_ARGS="--runs 1 --quick" for a smoke run.
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .data .pytest_cache .mypy_cache .ruff_cache

# Record new workflow histories for the replay test (after a deliberate, versioned change).
record-histories: $(STAMP)
	RECORD_HISTORIES=1 $(BIN)/pytest -q tests/workflows/test_replay.py tests/workflows/test_story_with_stand_ins.py -k "record_history or stand_ins"
