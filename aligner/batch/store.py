"""A batch's output: a Parquet dataset that grows a block at a time and can be resumed.

``OUT/`` holds ``part-NNNNN.parquet`` files (a block of whole document sets each, of bounded
rows), ``_done.tsv`` (the ledger: each set written, with its part file), ``_errors.tsv`` (each
set that failed, with its one-line error) and ``_provenance.json`` (how the dataset is made).

A part file is written under a temporary name and renamed into place, and only then are its
sets added to the ledger, so a killed run leaves no half file; at the next start, a part file
that the ledger does not name (killed between the rename and the ledger) is removed, and its
sets are aligned again. So each set's rows are in the dataset exactly once.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

from aligner.errors import AlignerError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from aligner.provenance import Provenance

LEDGER = "_done.tsv"
ERRORS = "_errors.tsv"
PROVENANCE = "_provenance.json"
"""Named with a leading underscore, which Parquet readers (pyarrow, pandas, Spark) skip, so that
``pandas.read_parquet("OUT")`` reads the part files alone."""
LEDGER_FIELDS = ["doc", "index", "part", "rows", "sentences", "signature"]


def schema(langs: list[str]) -> pa.Schema:
    """``doc``, then per language its text and sentence ids, then the row score and the scores
    of each language pair: the TSV's columns, with the ids as lists of integers."""
    import pyarrow as pa

    fields = [pa.field("doc", pa.string())]
    for lang in langs:
        fields += [pa.field(lang, pa.string()), pa.field(f"{lang}_ids", pa.list_(pa.int32()))]
    fields.append(pa.field("score", pa.float64()))
    fields += [pa.field(f"score_{a}_{b}", pa.float64()) for a, b in combinations(langs, 2)]
    return pa.schema(fields)


@dataclass(frozen=True)
class Done:
    doc: str
    index: int
    rows: int
    sentences: int
    signature: str


class Store:
    """The dataset under ``directory`` for the languages ``langs``; made by ``open_store``."""

    def __init__(self, directory: Path, langs: list[str], done: dict[str, Done], next_part: int) -> None:
        self.directory, self.langs, self.done = directory, langs, done
        self._schema = schema(langs)
        self._next_part = next_part

    def write_block(self, frames: list[tuple[Done, pd.DataFrame]]) -> Path:
        """One part file holding the rows of ``frames`` (a frame per set, the dataset's columns),
        then the ledger lines that record those sets as done."""
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        name = f"part-{self._next_part:05d}.parquet"
        self._next_part += 1
        table = pa.Table.from_pandas(
            pd.concat([frame for _, frame in frames], ignore_index=True),
            schema=self._schema,
            preserve_index=False,
        )
        temporary = self.directory / f".{name}.tmp"
        pq.write_table(table, temporary)
        os.replace(temporary, self.directory / name)
        lines = [
            [done.doc, done.index, name, done.rows, done.sentences, done.signature] for done, _ in frames
        ]
        _append(self.directory / LEDGER, _tsv(lines))
        self.done.update((done.doc, done) for done, _ in frames)
        return self.directory / name

    def record_error(self, doc: str, message: str) -> None:
        _append(self.directory / ERRORS, _tsv([[doc, " ".join(message.split())]]))


def _tsv(rows: list[list]) -> str:
    """Rows as TSV lines, a field quoted where it holds a tab, quote or line break."""
    text = io.StringIO()
    csv.writer(text, delimiter="\t", lineterminator="\n").writerows(rows)
    return text.getvalue()


def _append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def open_store(directory: Path, langs: list[str], run: dict, provenance_record: dict) -> Store:
    """The dataset under ``directory``, new or to be resumed. ``run`` describes the command
    (languages, model, reading options); resuming with another is an error, since the dataset
    would mix two ways of aligning. A new dataset records ``run`` and the provenance of what it
    will hold; each set's own signature is in the ledger. Parts the ledger does not name are
    removed, and the errors of the last run are cleared (their sets are tried again)."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise AlignerError(f"{directory}: not a folder (batch writes a Parquet dataset into a folder)")
    provenance = directory / PROVENANCE
    if provenance.is_file():
        before = json.loads(provenance.read_text(encoding="utf-8")).get("run")
        if before != run:
            raise AlignerError(
                f"{directory} holds a dataset made by another command ({_difference(before, run)}): "
                "rerun that command to finish it, or write to another folder"
            )
    elif directory.is_dir() and any(directory.iterdir()):
        raise AlignerError(f"{directory} is not empty and holds no batch dataset: write to another folder")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not provenance.is_file():
            _write_new(directory / LEDGER, _tsv([LEDGER_FIELDS]))
            record = {"run": run, "provenance": provenance_record}
            _write_new(provenance, json.dumps(record, ensure_ascii=False, indent=2) + "\n")
    except OSError as err:
        raise AlignerError(f"cannot write into {directory}: {err.strerror}") from None
    named = _whole_parts(directory)
    done = read_ledger(directory)
    for part in directory.glob("part-*.parquet"):
        if part.name not in named:
            part.unlink()
    for temporary in directory.glob(".part-*.tmp"):
        temporary.unlink()
    (directory / ERRORS).write_text(_tsv([["doc", "error"]]), encoding="utf-8")
    numbers = [int(part[5:10]) for part in named]
    return Store(directory, langs, done, max(numbers, default=-1) + 1)


def _whole_parts(directory: Path) -> set[str]:
    """The part files whose every set the ledger records: a part whose ledger lines were cut
    short by a kill holds rows of sets that will be aligned again, so it goes, and so do its
    lines."""
    import pyarrow.parquet as pq

    rows = _ledger_rows(directory)
    recorded: dict[str, int] = {}
    for row in rows:
        recorded[row["part"]] = recorded.get(row["part"], 0) + int(row["rows"])
    whole = {
        part
        for part, count in recorded.items()
        if (directory / part).is_file() and pq.read_metadata(directory / part).num_rows == count
    }
    if len(whole) < len(recorded):
        kept = [[row[field] for field in LEDGER_FIELDS] for row in rows if row["part"] in whole]
        _write_new(directory / LEDGER, _tsv([LEDGER_FIELDS, *kept]))
    return whole


def _write_new(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _difference(before: dict | None, now: dict) -> str:
    before = before or {}
    changed = [key for key in sorted(set(before) | set(now)) if before.get(key) != now.get(key)]
    return ", ".join(f"{key} {before.get(key)!r}, now {now.get(key)!r}" for key in changed)


def _ledger_rows(directory: Path) -> list[dict[str, str]]:
    path = Path(directory) / LEDGER
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()[1:]  # the header
    # a line cut short by a kill while appending names no part, and its set is aligned again
    rows = csv.reader(lines, delimiter="\t")
    return [dict(zip(LEDGER_FIELDS, row, strict=True)) for row in rows if len(row) == len(LEDGER_FIELDS)]


def read_ledger(directory: Path) -> dict[str, Done]:
    """The sets recorded as written, by doc id."""
    return {
        row["doc"]: Done(
            row["doc"], int(row["index"]), int(row["rows"]), int(row["sentences"]), row["signature"]
        )
        for row in _ledger_rows(directory)
    }


def read_provenance(directory: Path) -> tuple[list[str], Provenance]:
    """The dataset's languages and provenance."""
    from aligner.provenance import Provenance

    path = Path(directory) / PROVENANCE
    if not path.is_file():
        raise AlignerError(f"{directory}: not a batch dataset (no {PROVENANCE})")
    record = json.loads(path.read_text(encoding="utf-8"))
    return record["run"]["langs"], Provenance.from_json(record["provenance"])


def read_dataset(directory: Path) -> pd.DataFrame:
    """The rows of every set written, in the set list's order (pandas; the part files are plain
    Parquet, which pyarrow, DuckDB and Hugging Face ``datasets`` read as they are)."""
    import pyarrow.parquet as pq

    directory = Path(directory)
    langs, _ = read_provenance(directory)
    rows = _ledger_rows(directory)
    parts = list(dict.fromkeys(row["part"] for row in rows))
    if not parts:
        return schema(langs).empty_table().to_pandas()
    frame = pq.read_table([directory / part for part in parts], schema=schema(langs)).to_pandas()
    order = {row["doc"]: int(row["index"]) for row in rows}
    return frame.sort_values("doc", key=lambda docs: docs.map(order), kind="stable").reset_index(drop=True)
