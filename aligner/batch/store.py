"""A batch's output: a Parquet dataset that grows a block at a time and can be resumed.

``OUT/`` holds ``part-NNNNN.parquet`` files (a block of whole document sets each, of bounded
rows), ``_done.tsv`` (the ledger: each set written, with its part file), ``_errors.tsv`` (each
set that failed, with its one-line error), ``_warnings.tsv`` (what ``aligner align`` would have
warned of for a set written), ``_provenance.json`` (how the dataset is made) and ``_lock``
(held by the run writing it).

A part file is written under a temporary name and renamed into place, and only then are its
sets added to the ledger, so a killed run leaves no half file; at the next start, a part file
that the ledger does not name (killed between the rename and the ledger) is removed, and its
sets are aligned again. So each set's rows are in the dataset exactly once.

The ledger also records each set's input files as they were when read (``sets.fingerprint``):
a set whose files changed since is aligned again, and its new rows replace the old when they are
written (``Store.write_block``); until then, or if it now fails, the old stay.
"""

from __future__ import annotations

import csv
import io
import json
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import IO, TYPE_CHECKING

from aligner.encode.digest import bytes_digest, file_digest
from aligner.errors import AlignerError
from aligner.export import write_atomic_many

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from aligner.provenance import Provenance

# The sidecars' names start with an underscore, which Parquet readers (pyarrow, pandas, Spark)
# skip, so that ``pandas.read_parquet("OUT")`` reads the part files alone.
LEDGER = "_done.tsv"
ERRORS = "_errors.tsv"
WARNINGS = "_warnings.tsv"
PROVENANCE = "_provenance.json"
LOCK = "_lock"
LEDGER_FIELDS = [
    *("doc", "index", "part", "rows", "sentences", "signature", "inputs", "part_digest", "part_stat")
]
SET_LIST = "set_list"
"""The provenance record's entry for where the set lists of the runs are, the last one last."""


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
    inputs: str
    """The set's ``fingerprint`` when it was read; empty where unknown (a ledger written before
    fingerprints were recorded)."""


class Store:
    """The dataset under ``directory`` for the languages ``langs``; made by ``open_store``."""

    def __init__(
        self, directory: Path, langs: list[str], done: dict[str, Done], next_part: int, lock: IO[str]
    ) -> None:
        self.directory, self.langs, self.done = directory, langs, done
        self._schema = schema(langs)
        self._next_part, self._lock = next_part, lock

    def close(self) -> None:
        """Let another run write the dataset."""
        self._lock.close()

    def write_block(self, sets: list[tuple[Done, pd.DataFrame, tuple[str, ...]]]) -> Path:
        """One part file holding the rows of ``sets`` (each set's record, its rows in the
        dataset's columns, and its warnings), then the ledger lines that record those sets as
        done, then their warnings. A set the dataset holds already (its files changed since)
        is replaced: see ``_replace``."""
        import pandas as pd
        import pyarrow as pa

        table = pa.Table.from_pandas(
            pd.concat([frame for _, frame, _ in sets], ignore_index=True),
            schema=self._schema,
            preserve_index=False,
        )
        name, digest, stat = self._write_part(table)
        lines = [_ledger_line(done, name, digest, stat) for done, _, _ in sets]
        messages = [[done.doc, message] for done, _, found in sets for message in found]
        replaced = {done.doc for done, _, _ in sets if done.doc in self.done}
        if replaced:
            self._replace(replaced, lines, messages)
        else:
            # warnings first: a kill between leaves warnings of sets the ledger does not hold,
            # which the next start drops, rather than sets without their warnings
            if messages:
                _append(self.directory / WARNINGS, _tsv(messages))
            _append(self.directory / LEDGER, _tsv(lines))
        self.done.update((done.doc, done) for done, _, _ in sets)
        return self.directory / name

    def _replace(self, docs: set[str], lines: list[list], messages: list[list[str]]) -> None:
        """The ledger with the lines of ``docs`` replaced by ``lines`` (which name a part
        written already), in one atomic rewrite; the warnings of ``docs`` by ``messages``.

        Before it, each part holding rows of ``docs`` is written again without them, under a
        new name, and the warnings file is rewritten; after it, the old parts go. A kill before
        the rewrite leaves new parts that no line names, and one after it old parts that no
        line names, all removed at the next start: each set's rows are in the dataset once, the
        old ones or the new (the old with the new warnings, until the next run replaces them).
        """
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        rows = _ledger_rows(self.directory / LEDGER)
        touched = sorted({row["part"] for row in rows if row["doc"] in docs})
        kept = [row for row in rows if row["doc"] not in docs]
        renamed = {}
        for part in touched:
            if not any(row["part"] == part for row in kept):
                continue
            try:
                table = pq.read_table(self.directory / part, schema=self._schema)
            except (OSError, pa.ArrowException) as err:
                raise AlignerError(
                    f"cannot read {self.directory / part}: {' '.join(str(err).split())}"
                ) from None
            others = table.filter(pc.invert(pc.is_in(table["doc"], value_set=pa.array(sorted(docs)))))
            renamed[part] = self._write_part(others)
        text = _utf8_lines((self.directory / WARNINGS).read_bytes())
        warned = [row for row in _warning_rows(text) if row[0] not in docs]
        write_atomic_many({self.directory / WARNINGS: _tsv([["doc", "warning"], *warned, *messages])})
        moved = [
            dict(row, **dict(zip(("part", "part_digest", "part_stat"), renamed[row["part"]], strict=True)))
            if row["part"] in renamed
            else row
            for row in kept
        ]
        added = [dict(zip(LEDGER_FIELDS, map(str, line), strict=True)) for line in lines]
        write_atomic_many({self.directory / LEDGER: _ledger_text([*moved, *added])})
        for part in touched:
            (self.directory / part).unlink(missing_ok=True)

    def _write_part(self, table: pa.Table) -> tuple[str, str, str]:
        """``table`` as the next part file, on disk before any ledger line can name it; its name,
        the digest of its bytes and its ``_stat``, by which a later run finds it changed
        (``_settled_ledger``)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        name = f"part-{self._next_part:05d}.parquet"
        self._next_part += 1
        temporary = self.directory / f".{name}.tmp"
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        data = memoryview(sink.getvalue())
        try:
            with open(temporary, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.directory / name)
            stat = _stat(self.directory / name)
        except OSError as err:
            temporary.unlink(missing_ok=True)
            raise AlignerError(f"cannot write {self.directory / name}: {err.strerror}") from None
        return name, bytes_digest(data), stat

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


def open_store(
    directory: Path, langs: list[str], run: dict, provenance_record: dict, set_list: Path | None = None
) -> Store:
    """The dataset under ``directory``, new or to be resumed. ``run`` describes the command
    (languages, model, reading options); resuming with another is an error, since the dataset
    would mix two ways of aligning. A new dataset records ``run`` and the provenance of what it
    will hold; each set's own signature is in the ledger. Every run records where its
    ``set_list`` is (``dataset_inputs``). Parts the ledger does not name are removed, and the
    errors of the last run are cleared (their sets are tried again)."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise AlignerError(f"{directory}: not a folder (batch writes a Parquet dataset into a folder)")
    provenance = directory / PROVENANCE
    record = {"run": run, "provenance": provenance_record}
    if provenance.is_file():
        record = _read_json(provenance)
        before = record.get("run")
        if before != run:
            same_command = {**(before or {}), "encoder": None} == {**run, "encoder": None}
            why = (
                ": the same command loads another encoder here (a cache that cannot hold the converted "
                "model, other software or another processor); run it where it loads the first"
                if same_command
                else ": rerun that command to finish it, or write to another folder"
            )
            what = "made with another encoder" if same_command else "made by another command"
            raise AlignerError(f"{directory} holds a dataset {what} ({_difference(before, run)}){why}")
    elif directory.is_dir() and any(directory.iterdir()):
        raise AlignerError(f"{directory} is not empty and holds no batch dataset: write to another folder")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not provenance.is_file():
            write_atomic_many({directory / LEDGER: _tsv([LEDGER_FIELDS])})
            write_atomic_many({provenance: _json(record)})
    except OSError as err:
        raise AlignerError(f"cannot write into {directory}: {err.strerror}") from None
    lock = _lock(directory)
    lists = _set_lists(record)
    # None: a list made in Python, which has no file to keep safe, nor sets to count as to do
    listed = [None if set_list is None else str(set_list.absolute())]
    if lists[-1:] != listed:  # once the run holds the dataset: a run refused leaves it
        try:
            lists = [*(other for other in lists if other not in listed), *listed]
            write_atomic_many({provenance: _json({**record, SET_LIST: lists})})
        except OSError as err:
            raise AlignerError(f"cannot write into {directory}: {err.strerror}") from None
    rows = _settled_ledger(directory)
    named = {row["part"] for row in rows}
    for part in directory.glob("part-*.parquet"):
        if part.name not in named:
            part.unlink()
    for temporary in directory.glob(".part-*.tmp"):
        temporary.unlink()
    (directory / ERRORS).write_text(_tsv([["doc", "error"]]), encoding="utf-8")
    done = {row["doc"]: _done(row) for row in rows}
    if (directory / WARNINGS).is_file():
        _keep_warnings_of(directory / WARNINGS, set(done))
    else:
        (directory / WARNINGS).write_text(_tsv([["doc", "warning"]]), encoding="utf-8")
    numbers = [int(part.removeprefix("part-").removesuffix(".parquet")) for part in named]
    return Store(directory, langs, done, max(numbers, default=-1) + 1, lock)


def _json(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"


def _lock(directory: Path) -> IO[str]:
    """One run at a time writes a dataset: two would number their part files alike. The lock
    lasts until ``Store.close`` or the end of the process."""
    import fcntl

    try:
        handle = open(directory / LOCK, "a")  # noqa: SIM115 (the store closes it)
    except OSError as err:
        raise AlignerError(f"cannot write into {directory}: {err.strerror}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise AlignerError(
            f"another batch is writing into {directory} (or an export reading it): wait for it, or write "
            "elsewhere"
        ) from None
    return handle


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise AlignerError(f"{path}: damaged ({err}); write the dataset to another folder") from None


def _settled_ledger(directory: Path) -> list[dict[str, str]]:
    """The ledger's lines whose parts are whole, the ledger rewritten to hold just those (in
    the current fields) where it held more.

    A kill while a line was appended leaves it without its line end: that line goes. A part
    whose every set the ledger does not record (lines cut short by a kill) holds rows of sets
    that will be aligned again, so its lines go too, and so does the part. So do the lines of a
    part that is missing, cut short, or whose bytes are no longer those written (its digest),
    with a warning: its sets are aligned again.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = directory / LEDGER
    text = _ledger_file_text(path)
    rows = _ledger_rows(path, text)
    recorded: dict[str, int] = {}
    for row in rows:
        recorded[row["part"]] = recorded.get(row["part"], 0) + int(row["rows"])
    written = {row["part"]: (row["part_digest"], row["part_stat"]) for row in rows}

    def state(part: str) -> str:
        """``whole``; ``unrecorded`` where the ledger lost lines of the part to a kill; else
        ``damaged`` (missing, cut short, or its bytes changed)."""
        try:
            rows_in = pq.read_metadata(directory / part).num_rows
            digest, stat = written[part]
            path = directory / part
            unchanged = not digest or stat == _stat(path) or digest == file_digest([path])
        except (OSError, pa.ArrowException):
            return "damaged"
        if rows_in != recorded[part]:
            return "unrecorded" if rows_in > recorded[part] else "damaged"
        return "whole" if unchanged else "damaged"

    states = {part: state(part) for part in recorded}
    # a part an earlier release wrote has no digest yet: it is taken as it is, and gets one
    sealed = {
        part: (file_digest([directory / part]), _stat(directory / part))
        for part, (digest, _) in written.items()
        if states[part] == "whole" and not digest
    }
    rows = [
        dict(row, part_digest=sealed[row["part"]][0], part_stat=sealed[row["part"]][1])
        if row["part"] in sealed
        else row
        for row in rows
    ]
    kept = [row for row in rows if states[row["part"]] == "whole"]
    lost = [row for row in rows if states[row["part"]] == "damaged"]
    if lost:
        parts = sorted({row["part"] for row in lost})
        shown = ", ".join(parts[:3]) + (", ..." if len(parts) > 3 else "")
        warnings.warn(
            f"{directory}: {len(parts)} part {'file is' if len(parts) == 1 else 'files are'} missing, cut "
            f"short or changed since written ({shown}): {len(lost)} document sets aligned again",
            stacklevel=4,
        )
    if text != _ledger_text(kept):
        write_atomic_many({path: _ledger_text(kept)})
    return kept


def _ledger_file_text(path: Path) -> str:
    """The ledger's text; a line that is not UTF-8 (damage) is left out, and so its set is
    aligned again."""
    try:
        return _utf8_lines(path.read_bytes())
    except FileNotFoundError:
        warnings.warn(f"{path} is missing: every document set is aligned again", stacklevel=5)
        write_atomic_many({path: _tsv([LEDGER_FIELDS])})  # the runs after append to it
        return _tsv([LEDGER_FIELDS])
    except OSError as err:
        raise AlignerError(f"cannot read {path}: {err.strerror}") from None


def _ledger_text(rows: list[dict[str, str]]) -> str:
    return _tsv([LEDGER_FIELDS, *([row[field] for field in LEDGER_FIELDS] for row in rows)])


def _ledger_line(done: Done, part: str, digest: str, stat: str) -> list:
    return [done.doc, done.index, part, done.rows, done.sentences, done.signature, done.inputs, digest, stat]


def _stat(path: Path) -> str:
    """A file's size and time of last change: where both are as recorded, its bytes are taken
    for those written, as make and rsync take them, and are not read again."""
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _whole_lines(text: str) -> list[list[str]]:
    """The lines of a TSV file that runs append to, header first; a line cut short by a kill
    while appending has no line end and is left out."""
    return list(csv.reader(io.StringIO(text[: text.rfind("\n") + 1]), delimiter="\t"))


def _warning_rows(text: str) -> list[list[str]]:
    """The whole lines of the warnings file's ``text``, without its header."""
    return [row for row in _whole_lines(text)[1:] if len(row) == 2]


def _keep_warnings_of(path: Path, docs: set[str]) -> None:
    """The warnings file with the lines of ``docs`` alone: a set the ledger does not hold (its
    line lost to a kill) is warned of again when it is aligned again."""
    text = _utf8_lines(path.read_bytes())
    kept = _tsv([["doc", "warning"], *(row for row in _warning_rows(text) if row[0] in docs)])
    if kept != text:
        write_atomic_many({path: kept})


def _difference(before: dict | None, now: dict) -> str:
    before = before or {}
    changed = [key for key in sorted(set(before) | set(now)) if before.get(key) != now.get(key)]
    return ", ".join(f"{key} {before.get(key)!r}, now {now.get(key)!r}" for key in changed)


def _ledger_rows(path: Path, text: str | None = None) -> list[dict[str, str]]:
    """The ledger's whole lines (of ``text``, where given, else of the file), by its header's
    fields; a field that a ledger of an earlier version lacks is empty."""
    if text is None:
        text = _utf8_lines(path.read_bytes()) if path.is_file() else ""
    table = _whole_lines(text)  # so a line cut short names no part
    if not table:
        return []
    header = table[0]
    rows = [dict(zip(header, row, strict=True)) for row in table[1:] if len(row) == len(header)]
    counts = ("index", "rows", "sentences")
    rows = [row for row in rows if all(row.get(field, "0").isdigit() for field in counts)]
    return [{field: row.get(field, "") for field in LEDGER_FIELDS} for row in rows]


def _utf8_lines(data: bytes) -> str:
    """``data`` decoded line by line, the lines that are not UTF-8 left out (their line ends kept,
    so that a line cut short by a kill stays the last)."""
    lines = []
    for line in data.split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append("")
    return "\n".join(lines)


def _done(row: dict[str, str]) -> Done:
    counts = int(row["index"]), int(row["rows"]), int(row["sentences"])
    return Done(row["doc"], *counts, row["signature"], row["inputs"])


def failed_sets(directory: Path) -> list[str]:
    """The document sets that failed in the last run that wrote the dataset (``_errors.tsv``)."""
    path = Path(directory) / ERRORS
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return [row[0] for row in _whole_lines(text)[1:] if row]


def read_provenance(directory: Path) -> tuple[list[str], Provenance]:
    """The dataset's languages and provenance."""
    from aligner.provenance import Provenance

    path = Path(directory) / PROVENANCE
    if not path.is_file():
        what = "not a batch dataset" if Path(directory).is_dir() else "no such folder"
        raise AlignerError(f"{directory}: {what} (no {PROVENANCE})")
    record = _read_json(path)
    return record["run"]["langs"], Provenance.from_json(record["provenance"])


def _set_lists(record: dict) -> list[str | None]:
    """The set lists a provenance record names, the last run's last, None for one made in Python
    (a dataset written before the history was kept names its last one alone, or none)."""
    listed = record.get(SET_LIST)
    return [] if listed is None else [listed] if isinstance(listed, str) else list(listed)


def dataset_set_lists(directory: Path) -> list[Path]:
    """Where the set lists that runs wrote the dataset from are (TSV files or folder trees), the
    last run's last; a set list made in Python has none."""
    return [Path(listed) for listed in _set_lists(_read_json(Path(directory) / PROVENANCE)) if listed]


def dataset_inputs(directory: Path) -> list[Path]:
    """The files the dataset was aligned from, as the set lists of its runs name them now, and
    those lists themselves; none where the lists are unknown or gone."""
    from aligner.batch.sets import read_sets

    inputs: list[Path] = []
    for listed in dataset_set_lists(directory):
        if not listed.exists():
            continue
        try:
            inputs += read_sets(listed).inputs()
        except AlignerError:  # changed since into something unreadable: the list itself is kept safe
            inputs += [listed] if listed.is_file() else []
    return inputs


def read_dataset(directory: Path) -> pd.DataFrame:
    """The rows of every set written, in the set list's order (pandas; the part files are plain
    Parquet, which pyarrow, DuckDB and Hugging Face ``datasets`` read as they are)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory = Path(directory)
    langs, _ = read_provenance(directory)
    rows = _ledger_rows(directory / LEDGER)
    parts = list(dict.fromkeys(row["part"] for row in rows))
    if not parts:
        return schema(langs).empty_table().to_pandas()
    try:
        frame = pq.read_table([directory / part for part in parts], schema=schema(langs)).to_pandas()
    except (OSError, pa.ArrowException) as err:
        raise AlignerError(
            f"{directory}: a part file is missing or damaged ({' '.join(str(err).split())[:200]}): run "
            "the batch command again, which aligns its sets anew"
        ) from None
    order = {row["doc"]: int(row["index"]) for row in rows}
    # a part whose ledger lines a kill cut short holds sets the ledger does not: not written yet
    frame = frame[frame["doc"].isin(order)]
    return frame.sort_values("doc", key=lambda docs: docs.map(order), kind="stable").reset_index(drop=True)


@contextmanager
def reading(directory: Path) -> Iterator[None]:
    """Hold the dataset for reading: a one-line error where a batch is writing it (what it holds
    is not yet the run's), and no batch starts writing it until the reading is done."""
    import fcntl

    try:
        handle = open(Path(directory) / LOCK)  # noqa: SIM115 (closed below)
    except OSError:
        yield  # no lock file: no run has written the dataset since locks were taken
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            raise AlignerError(f"a batch is writing into {directory}: export once it has finished") from None
        yield


def sets_to_do(directory: Path) -> tuple[int, int]:
    """Of the document sets of the last run's set list, how many are neither in the dataset nor
    failed in that run (the run was interrupted), and how many the list holds; (0, 0) where the
    list is unknown or cannot be read."""
    from aligner.batch.sets import read_sets

    last = (_set_lists(_read_json(Path(directory) / PROVENANCE)) or [None])[-1]
    if last is None or not Path(last).exists():
        return 0, 0
    try:
        listed = [document_set.doc for document_set in read_sets(Path(last)).sets]
    except AlignerError:
        return 0, 0
    finished = {row["doc"] for row in _ledger_rows(Path(directory) / LEDGER)} | set(failed_sets(directory))
    return sum(doc not in finished for doc in listed), len(listed)
