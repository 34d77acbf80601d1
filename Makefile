PYTHON ?= python3

.PHONY: install lint test

# Installs the tested stack (requirements.txt) and mmpwkd in editable mode.
install:
	$(PYTHON) -m pip install -q -r requirements.txt

lint: install
	$(PYTHON) -m ruff check .

# pytest exits 5 when it collects no test: make treats that as a failure.
test: lint
	$(PYTHON) -m pytest -q
