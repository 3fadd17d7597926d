# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SEEDS := seeds/000_af736beb5cc60a9b.txt seeds/001_8a577d695bc7522b.txt seeds/003_35f4e80f8e795006.txt seeds/004_1498df30161089c1.txt

.PHONY: demo test bench clean

# torch goes in first and pinned: the CPU build on this machine's disk; left to the resolver,
# sentence-transformers would pull a multi-GB CUDA build.
$(BIN)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[st,dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/aligner align $(SEEDS) --langs id,fr,zh,ja -o outputs/seeds.tsv

test: $(BIN)/.installed
	$(BIN)/ruff check aligner tests bench
	$(BIN)/python -m pytest -q

bench: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/alignment.py textberg-test --calibration
	$(BIN)/python bench/segmentation.py

clean:
	rm -rf $(VENV) outputs/*.tsv
