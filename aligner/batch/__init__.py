"""Batch stage: many document sets aligned in one run, on Ray, into a Parquet dataset.

``align_batch(sets, output)`` aligns each set of a set list (``aligner.batch.sets``) exactly as
``aligner.align`` aligns versions, on a local Ray cluster or an existing one, and writes the
rows into a resumable dataset (``aligner.batch.store``); ``read_dataset`` reads it back and
``stored_corpus`` makes it a table for the writers of ``aligner.export``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aligner.batch.sets import DocumentSet, SetList, read_sets
from aligner.batch.store import read_dataset
from aligner.encode import DEFAULT_MODEL
from aligner.progress import Progress, callback
from aligner.settings import Settings

if TYPE_CHECKING:
    from aligner.batch.store import Store
    from aligner.table import StoredCorpus

__all__ = [
    "BatchResult",
    "DocumentSet",
    "SetList",
    "align_batch",
    "read_dataset",
    "read_sets",
    "stored_corpus",
]


@dataclass(frozen=True)
class BatchResult:
    output: Path
    aligned: int
    """Sets aligned by this run."""
    warned: int
    """Sets aligned by this run with a warning (listed in ``output/_warnings.tsv``)."""
    failed: int
    """Sets that failed (listed in ``output/_errors.tsv``)."""
    skipped: int
    """Sets already in the dataset from an earlier run."""
    replaced: int
    """Of ``aligned``, the sets an earlier run wrote whose files changed since: their new rows
    replaced the old. One that now fails keeps its old rows and counts in ``failed``, as does a
    set whose file has vanished since."""
    sentences: int
    rows: int
    seconds: float
    """The whole run, the cluster's start included."""


def align_batch(
    sets: Path | SetList,
    output: Path,
    *,
    model: str = DEFAULT_MODEL,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    settings: Settings | None = None,
    presplit: bool = False,
    encoding: str | None = None,
    keep_urls: bool = True,
    device: str = "auto",
    dictionaries: Mapping[tuple[str, str], Sequence[tuple[str, str]]] | None = None,
    workers: int | None = None,
    batch_sentences: int = 4096,
    rows_per_file: int = 100_000,
    address: str | None = None,
    progress: bool | Progress = False,
) -> BatchResult:
    """Align every set of ``sets`` (a set list's path, or a ``SetList``) into the dataset at
    ``output``, skipping the sets an earlier run of the same command wrote from files that have
    not changed since (a set whose files changed is aligned again and replaces what was written).

    The reading, model and alignment options are ``aligner.align``'s. ``workers``: encoding
    actors (default: this machine's usable cores; on a local cluster also its CPUs);
    ``batch_sentences``: sentences an actor embeds per call; ``rows_per_file``: rows per part
    file at most; ``address``: an existing Ray cluster's (``auto``, or the head node's
    ``HOST:PORT``), else a local cluster is started for the run and stopped after it.
    """
    _check_installed("ray", "pyarrow")
    import ray

    from aligner.batch.run import Scheduling, run
    from aligner.batch.steps import Reading
    from aligner.batch.store import open_store
    from aligner.encode import check_model, default_cache_dir, load_encoder
    from aligner.errors import AlignerError
    from aligner.provenance import settled
    from aligner.threads import usable_cores

    started = time.perf_counter()
    check_model(model)
    for name, value in (
        ("workers", workers),
        ("batch_sentences", batch_sentences),
        ("rows_per_file", rows_per_file),
    ):
        if value is not None and value < 1:
            raise AlignerError(f"{name} (--{name.replace('_', '-')}) must be 1 or more, got {value}")
    if device == "cuda":
        raise AlignerError("batch encodes on the CPUs of its workers: --device cuda is not supported")
    set_list = sets if isinstance(sets, SetList) else read_sets(Path(sets))
    broken = next((s.doc for s in set_list.sets if "\n" in s.doc or "\r" in s.doc), None)
    if broken is not None:  # the ledger is a TSV file of lines: such an id could not be read back
        raise AlignerError(f"doc id {broken!r} holds a line break: give each set an id of one line")
    tree = set_list.source if set_list.source is not None and set_list.source.is_dir() else None
    if tree is not None and Path(output).resolve().is_relative_to(tree.resolve()):
        raise AlignerError(
            f"{output} is inside the corpus folder {tree}, whose next run would read it as a "
            "document set: write the dataset elsewhere"
        )
    # Paths the workers can use wherever they start: the set list's are absolute already.
    cache_dir = Path(cache_dir or default_cache_dir()).absolute()
    # The bundled models are not loaded here (their names are known without); st: models are.
    encoder = load_encoder(model, cache_dir, "cpu")
    _, provenance = settled(settings, encoder)
    run_description = {
        "langs": set_list.langs,
        "model": model,
        "encoder": encoder.name,
        "fitted": provenance.fitted,
        "settings": provenance.settings,
        "presplit": presplit,
        "encoding": encoding,
        "keep_urls": keep_urls or presplit,  # --drop-urls does nothing to --presplit lines
        "dictionaries": sorted(f"{a},{b}" for a, b in dictionaries or {}),
    }
    store = open_store(
        Path(output),
        set_list.langs,
        json.loads(json.dumps(run_description)),
        provenance.to_json(),
        set_list.source,
    )
    listed = {document_set.doc for document_set in set_list.sets}
    stale = [doc for doc in store.done if doc not in listed]
    if stale:
        shown = ", ".join(stale[:3]) + (", ..." if len(stale) > 3 else "")
        warnings.warn(
            f"{len(stale):,} document sets in {output} are not in this set list ({shown}: from an earlier "
            "list, or renamed): their rows stay, and export writes them",
            stacklevel=2,
        )
    scheduling = Scheduling(workers or usable_cores(), batch_sentences, rows_per_file, address)
    started_here = not ray.is_initialized()
    interrupted = False
    try:
        changed, vanished = _since_written(set_list, store)
        for doc, reason in vanished:
            store.record_error(doc, f"{reason}; the rows written from the set before are kept")
        with callback(progress) as report:
            outcome = run(
                set_list, store, model=model, cache_dir=cache_dir, use_cache=use_cache, device="cpu",
                settings=settings, reading=Reading(presplit, encoding, keep_urls), dictionaries=dictionaries,
                scheduling=scheduling, redo=changed, progress=report,
            )  # fmt: skip
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        store.close()
        if started_here and ray.is_initialized():
            with _native_errors_muted() if interrupted else contextlib.nullcontext():
                ray.shutdown()
    return BatchResult(
        Path(output),
        outcome.aligned,
        outcome.warned,
        outcome.failed + len(vanished),
        outcome.skipped - len(vanished),
        outcome.replaced,
        outcome.sentences,
        outcome.rows,
        time.perf_counter() - started,
    )


def _since_written(set_list: SetList, store: Store) -> tuple[set[str], list[tuple[str, str]]]:
    """The sets in ``store`` whose files changed since they were written, and those with a
    listed file that can no longer be read (with the one-line reason)."""
    from aligner.batch.sets import fingerprint

    changed, unreadable = set(), []
    for document_set in set_list.sets:
        done = store.done.get(document_set.doc)
        if done is None:
            continue
        now = fingerprint(document_set)
        if now is None:
            unreadable.append((document_set.doc, _why_unreadable(document_set)))
        elif done.inputs and now != done.inputs:
            changed.add(document_set.doc)
    return changed, unreadable


def _why_unreadable(document_set: DocumentSet) -> str:
    for _, path in document_set.files:
        try:
            os.stat(path)
        except FileNotFoundError:
            return f"{path}: no such file"
        except OSError as err:
            return f"{path}: {err.strerror}"
    # every file is there again: one came back between the fingerprint's look and this one
    return f"{document_set.files[0][1]}: changed while it was looked at"


def stored_corpus(directory: Path) -> StoredCorpus:
    """The dataset at ``directory`` as a table that ``aligner.export`` writes in any format."""
    _check_installed("pyarrow")
    from aligner.batch.store import read_provenance
    from aligner.table import StoredCorpus

    frame = read_dataset(directory)
    langs, provenance = read_provenance(directory)
    return StoredCorpus(langs, frame, provenance)


def _check_installed(*packages: str) -> None:
    import importlib.util

    from aligner.errors import AlignerError

    missing = [name for name in packages if importlib.util.find_spec(name) is None]
    if missing:
        raise AlignerError(f"batches need {' and '.join(missing)}: pip install 'aligner[batch]'")


_RAY_LOG_LINE = re.compile(r"\[\d{4}-\d\d-\d\d [\d:,]+ [DIWE] \d+ \d+\] \S+\.cc:\d+: ")
"""A line of Ray's compiled code below fatal ("[2026-12-07 22:04:49,016 E 16694 16840]
task_manager.cc:1545: ..."), which its own log files also hold."""


@contextlib.contextmanager
def _native_errors_muted() -> Iterator[None]:
    """Standard error held back while an interrupted run shuts Ray down: the calls still in
    flight fail, and Ray's compiled code writes a raw line for each (such as "Failed to push
    error to driver") where the CLI says "interrupted" in one. What is not such a line (a fatal
    one, a crash's trace) is written out afterwards."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no standard error to hold back
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            kept = [line for line in held.read().decode("utf-8", "replace").splitlines(keepends=True)
                    if not _RAY_LOG_LINE.match(line)]
            sys.stderr.write("".join(kept))
