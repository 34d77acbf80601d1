PYTHON ?= python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
FASHION_MNIST := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz

.PHONY: install lint test test-gpu demo

# Installs the tested stack (requirements.txt) and mmpwkd in editable mode.
install:
	$(PYTHON) -m pip install -q -r requirements.txt

lint: install
	$(PYTHON) -m ruff check .

# pytest exits 5 when it collects no test: make treats that as a failure.
# The tests' models are tiny: two workers (pytest-xdist) of one thread each
# keep two cores busy, where one process of two threads leaves one idle
# between its small kernels and tool start-ups. The slowest tests are
# listed at the end: the run must stay under 25 minutes on 2 cores.
test: lint
	OMP_NUM_THREADS=1 $(PYTHON) -m pytest -q -n 2 --durations=15

# Mixed precision and channels-last on a CUDA GPU (CI has none).
test-gpu: install
	$(PYTHON) -m pytest -q -m gpu

# Fashion-MNIST ships as a Debian package. Elsewhere, put the four .gz
# files in a folder and run: python tools/benchmark/demo.py --data-root FOLDER
$(FASHION_MNIST):
	@command -v apt-get >/dev/null || { echo "No apt-get: install the \
	Fashion-MNIST files by hand, then run python tools/benchmark/demo.py \
	--data-root FOLDER"; exit 1; }
	$(SUDO) apt-get install -y dataset-fashion-mnist || \
	  { $(SUDO) apt-get update && $(SUDO) apt-get install -y dataset-fashion-mnist; }

demo: install $(FASHION_MNIST)
	$(PYTHON) tools/benchmark/demo.py
