# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean

# torch goes in first and pinned: the CPU build on this machine's disk; left to the resolver,
# sentence-transformers would pull a multi-GB CUDA build.
$(BIN)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[st,int8,batch,thai,dev]'
	touch $@

# The whole seeds folder as a collection: the two translation groups aligned N-way, the other
# Chinese article (002) reported unmatched; one corpus with a doc column, a summary on stderr.
# Then 002 is linked to the others by mining the sentences it shares with each.
SEED_002 := seeds/002_b23cc098f190fb18.txt
demo: $(BIN)/.installed
	$(BIN)/aligner align seeds/ -o outputs/seeds.tsv
	$(BIN)/aligner mine $(SEED_002) seeds/000_af736beb5cc60a9b.txt -o outputs/seeds-mined-002-000.tsv
	$(BIN)/aligner mine $(SEED_002) seeds/001_8a577d695bc7522b.txt -o outputs/seeds-mined-002-001.tsv
	$(BIN)/aligner mine $(SEED_002) seeds/003_35f4e80f8e795006.txt -o outputs/seeds-mined-002-003.tsv

test: $(BIN)/.installed
	$(BIN)/ruff check aligner tests bench
	$(BIN)/python -m pytest -q

bench: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/alignment.py textberg-test --calibration
	$(BIN)/python bench/segmentation.py

clean:
	rm -rf $(VENV) outputs/*.tsv
