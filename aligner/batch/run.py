"""A batch on Ray: a local cluster started for the run, or an existing one (``address``).

Reading and splitting are tasks; encoding is a pool of actors that each load the model once
and embed the sentences of many sets in one pass; alignment is a task per set; the driver
writes the aligned sets to the dataset a block at a time (``aligner.batch.store``). The driver
keeps a bounded number of sets in flight, so memory does not grow with the number of sets.
Ray reruns the tasks of a worker that dies and restarts a dead encoding actor, which retries
its calls; a set whose work failed for good is recorded as an error and aligned again by the
next run.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import warnings
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aligner.batch.sets import DocumentSet, SetList
from aligner.batch.steps import Aligned, Embedded, Failed, Prepared, Reading, align, embed, one_line, prepare
from aligner.batch.store import Store
from aligner.errors import AlignerError
from aligner.progress import Progress, report
from aligner.settings import Settings

SETS_IN_FLIGHT_PER_WORKER = 128
"""Sets read, embedded or aligned but not yet written, per encoding worker, at most."""

READS_IN_FLIGHT_PER_WORKER = 4
"""Sets being read at once, per encoding worker: their sentences are not known until read."""

CALLS_IN_FLIGHT_PER_WORKER = 4
"""Sentences of the sets read and not yet written, per encoding worker, in calls of
``Scheduling.batch_sentences``: one call being encoded, one queued behind it, one being
gathered and one being aligned. No set is read while they pass it (the sets being read may
add their own). Fewer, and the sets being aligned would leave too few to gather a full call: an
actor given the few sets read since its last call sorts too few sentences by length to batch
them without padding."""


@dataclass(frozen=True)
class Scheduling:
    """``workers`` encoding actors (and as many CPUs for a local cluster), ``batch_sentences``
    sentences per call to an actor, ``rows_per_file`` rows per part file at most (a set is never
    split), ``address`` of an existing cluster (None: start one on this machine)."""

    workers: int
    batch_sentences: int
    rows_per_file: int
    address: str | None


@dataclass(frozen=True)
class Outcome:
    aligned: int
    replaced: int
    warned: int
    failed: int
    skipped: int
    sentences: int
    rows: int


class Embedder:
    """An encoding actor: the model loaded once, then sets embedded many at a time."""

    def __init__(self, model: str, cache_dir: Path | None, use_cache: bool, device: str) -> None:
        from aligner.encode import DeferredEncoder, load_encoder, open_cache
        from aligner.encode.cache import RecentVectors
        from aligner.encode.combined import CombinedEncoder

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.encoder = load_encoder(model, cache_dir, device)
            members = self.encoder.members if isinstance(self.encoder, CombinedEncoder) else [self.encoder]
            for member in members:
                if isinstance(member, DeferredEncoder):
                    member.load()  # here, so that actors started after the first find it converted
            # without the persistent cache, a sentence that many sets repeat is still encoded once
            self.cache = open_cache(cache_dir, use_cache) or RecentVectors()
        self.warnings = list(dict.fromkeys(str(w.message) for w in caught))

    def ready(self) -> list[str]:
        return self.warnings

    def embed(self, prepared: list, settings: Settings | None) -> list[Embedded | Failed] | Embedded | Failed:
        """The sets of ``prepared`` (refs of prepare tasks) embedded; one set is returned alone,
        as Ray returns a call's single result."""
        import ray

        embedded = embed(ray.get(prepared), self.encoder, self.cache, settings)
        return embedded if len(embedded) > 1 else embedded[0]


CPUS_PER_WORKER = 0.5
"""What each actor and each task asks Ray for: an actor and a task per CPU, whose threads
overlap (a task reads or aligns while the actor beside it encodes)."""

CALL_RETRIES = 3
"""How often a call of an encoding actor is tried again after its process died (a killed
worker); then its sets fail, and the actor, restarted, goes on with the others."""


def run(
    set_list: SetList,
    store: Store,
    *,
    model: str,
    cache_dir: Path | None,
    use_cache: bool,
    device: str,
    settings: Settings | None,
    reading: Reading,
    dictionaries: Mapping[tuple[str, str], Sequence[tuple[str, str]]] | None,
    scheduling: Scheduling,
    redo: set[str],
    progress: Progress | None,
) -> Outcome:
    """Align every set of ``set_list`` that ``store`` does not hold yet, and those of ``redo``
    (whose files changed since they were written), into ``store``."""
    import ray

    ours = not ray.is_initialized()
    if ours:
        _start_ray(scheduling)
    actor_class = ray.remote(num_cpus=CPUS_PER_WORKER, max_restarts=-1, max_task_retries=CALL_RETRIES)(
        Embedder
    )
    actors = [actor_class.remote(model, cache_dir, use_cache, device)]
    try:
        try:
            ready = ray.get(actors[0].ready.remote())  # the first converts the model, if needed
        except ray.exceptions.RayError as err:
            raise AlignerError(f"the model cannot be loaded: {ray_error(err)}") from None
        for message in ready:
            warnings.warn(message, stacklevel=2)
        actors += [
            actor_class.remote(model, cache_dir, use_cache, device) for _ in range(scheduling.workers - 1)
        ]
        driver = _Driver(set_list, store, actors, settings, reading, dictionaries, scheduling, redo, progress)
        try:
            driver.loop()
        finally:  # an interrupted run keeps the sets it finished
            driver.flush()
        return driver.outcome()
    except KeyboardInterrupt:
        if ours:
            # the run's own connection (to a local cluster, or as a job of one at --address)
            # ends with it (``align_batch``), and its actors with it; killed first, Ray would
            # retry their calls and print that it does
            actors = []
        raise
    finally:
        for actor in actors:
            ray.kill(actor)


def _start_ray(scheduling: Scheduling) -> None:
    """A local cluster of ``workers`` CPUs, or the cluster at ``address``."""
    import ray

    local = {"num_cpus": scheduling.workers, "_system_config": _keep_workers(scheduling.workers)}
    on_terminate = signal.getsignal(signal.SIGTERM)
    try:
        ray.init(
            address=scheduling.address, include_dashboard=False, logging_level=logging.ERROR,
            log_to_driver=False, runtime_env=_ONE_THREAD_EACH,
            **(local if scheduling.address is None else {}),
        )  # fmt: skip
    except (ConnectionError, RuntimeError, ValueError) as err:
        where = f"at {scheduling.address}" if scheduling.address else "on this machine"
        raise AlignerError(
            f"cannot start or reach a Ray cluster {where}: {' '.join(str(err).split())}"
        ) from None
    if threading.current_thread() is threading.main_thread():
        # Ray's own handler would end the process at once; the CLI's (kill unwinds like
        # Ctrl-C) writes the sets already aligned first.
        signal.signal(signal.SIGTERM, on_terminate)


_ONE_THREAD_EACH = {"env_vars": {"OMP_NUM_THREADS": "1"}}
"""Each actor encodes and each task aligns on one thread (``aligner.threads.usable_cores``):
Ray sets this for workers of less than two CPUs only where the environment leaves it unset, and
a job script's own value would give every worker that many."""


def _keep_workers(workers: int) -> dict:
    """Ray counts the actors against its soft limit of worker processes (one per CPU) and stops
    an idle task worker above it, so that every task would start a process and import the
    pipeline again; a local cluster keeps its task workers for the run."""
    return {"num_workers_soft_limit": 4 * workers, "idle_worker_killing_time_threshold_ms": 600_000}


def ray_error(err: BaseException) -> str:
    """A Ray error as one line: what the task itself raised where it raised, else Ray's first line."""
    cause = getattr(err, "cause", None)
    if isinstance(cause, BaseException):
        return one_line(cause)
    first = next((line for line in str(err).splitlines() if line.strip()), type(err).__name__)
    return f"{type(err).__name__}: {first.strip()}"


class _Driver:
    """Feeds the sets through the stages, a bounded number at a time, and writes them."""

    def __init__(
        self,
        set_list: SetList,
        store: Store,
        actors: list,
        settings: Settings | None,
        reading: Reading,
        dictionaries: Mapping[tuple[str, str], Sequence[tuple[str, str]]] | None,
        scheduling: Scheduling,
        redo: set[str],
        progress: Progress | None,
    ) -> None:
        import ray

        self.started = time.perf_counter()
        self.store, self.actors, self.settings, self.reading = store, actors, settings, reading
        self.langs, self.dictionaries, self.scheduling, self.progress = (
            set_list.langs,
            dictionaries,
            scheduling,
            progress,
        )
        self.redo = redo
        self.todo = [s for s in set_list.sets if s.doc not in store.done or s.doc in redo]
        self.skipped = len(set_list.sets) - len(self.todo)
        self.queue: deque[DocumentSet] = deque(self.todo)
        self.set_limit = SETS_IN_FLIGHT_PER_WORKER * scheduling.workers
        self.read_limit = READS_IN_FLIGHT_PER_WORKER * scheduling.workers
        self.sentence_limit = CALLS_IN_FLIGHT_PER_WORKER * scheduling.batch_sentences * scheduling.workers
        self.sentences_in_flight: dict[int, int] = {}  # a set's index -> its sentences, once read
        self.last_calls: list = [None] * len(actors)  # each actor's latest call's first result
        self.prepare_task = ray.remote(num_cpus=CPUS_PER_WORKER)(prepare)
        self.align_task = ray.remote(num_cpus=CPUS_PER_WORKER)(align)
        self.reading_now: dict = {}  # a prepare task's ref -> its set
        self.waiting: list = []  # (prepare task's ref, set) for the next embedding call
        self.aligning: dict = {}  # an align task's ref -> its set
        self.buffer: list[tuple] = []
        self.buffered_rows = self.aligned = self.replaced = self.warned = self.failed = 0
        self.sentences = self.rows = self.turn = 0

    def in_flight(self) -> int:
        return len(self.reading_now) + len(self.waiting) + len(self.aligning)

    def waiting_sentences(self) -> int:
        return sum(self.sentences_in_flight[document_set.index] for _, document_set in self.waiting)

    def room(self) -> bool:
        return (
            self.in_flight() < self.set_limit
            and len(self.reading_now) < self.read_limit
            and sum(self.sentences_in_flight.values()) < self.sentence_limit
        )

    def loop(self) -> None:
        import ray

        self.show()
        while self.queue or self.in_flight():
            while self.queue and self.room():
                document_set = self.queue.popleft()
                self.reading_now[self.prepare_task.remote(document_set, self.reading)] = document_set
            idle = self.idle_actor()
            if self.waiting and (
                self.waiting_sentences() >= self.scheduling.batch_sentences
                or (idle is not None and not self.reading_now)
            ):
                self.embed(idle if idle is not None else self.turn % len(self.actors))
            calls = [ref for ref in self.last_calls if ref is not None]
            pending = [*self.reading_now, *self.aligning, *calls]
            done, _ = ray.wait(pending, num_returns=1, timeout=1.0, fetch_local=False)
            for ref in done:
                if ref in self.reading_now:
                    self.prepared(ref, self.reading_now.pop(ref))
                elif ref in self.aligning:
                    self.finished(ref, self.aligning.pop(ref))
            self.show()

    def idle_actor(self) -> int | None:
        """An actor whose calls are all done, the next in turn: where nothing is being read, it
        is given the sets waiting, however few, rather than wait for a full call. Taken in
        turn, so that an actor whose calls fail at once does not draw every call."""
        import ray

        calls = [ref for ref in self.last_calls if ref is not None]
        done = set(ray.wait(calls, num_returns=len(calls), timeout=0, fetch_local=False)[0] if calls else [])
        self.last_calls = [None if ref in done else ref for ref in self.last_calls]
        order = [(self.turn + k) % len(self.actors) for k in range(len(self.actors))]
        return next((k for k in order if self.last_calls[k] is None), None)

    def embed(self, k: int) -> None:
        """The waiting sets to actor ``k`` in one call, and an align task for each."""
        refs = [ref for ref, _ in self.waiting]
        outputs = self.actors[k].embed.options(num_returns=len(refs)).remote(refs, self.settings)
        outputs = outputs if len(refs) > 1 else [outputs]
        for (_, document_set), output in zip(self.waiting, outputs, strict=True):
            self.aligning[self.align_task.remote(output, self.langs, self.dictionaries)] = document_set
        self.last_calls[k] = outputs[0]
        self.waiting, self.turn = [], k + 1

    def prepared(self, ref: object, document_set: DocumentSet) -> None:
        prepared = self.result(ref, document_set)
        if isinstance(prepared, Failed):
            self.fail(prepared)
        else:
            self.waiting.append((ref, document_set))
            self.sentences_in_flight[document_set.index] = prepared.sentences

    def finished(self, ref: object, document_set: DocumentSet) -> None:
        result = self.result(ref, document_set)
        self.sentences_in_flight.pop(document_set.index, None)
        if isinstance(result, Failed):
            self.fail(result)
            return
        if self.buffered_rows + result.done.rows > self.scheduling.rows_per_file:
            self.flush()
        self.buffer.append((result.done, result.frame, result.warnings))
        self.buffered_rows += result.done.rows
        self.aligned += 1
        self.replaced += result.done.doc in self.redo
        self.warned += bool(result.warnings)
        self.sentences += result.done.sentences
        self.rows += result.done.rows

    @staticmethod
    def result(ref: object, document_set: DocumentSet) -> Prepared | Aligned | Failed:
        """A task's result, or the set's failure where Ray gave up on it (retries spent)."""
        import ray

        try:
            return ray.get(ref)
        except ray.exceptions.RayError as err:
            return Failed(document_set.doc, document_set.index, ray_error(err))

    def fail(self, failed: Failed) -> None:
        kept = "; the rows written from the set before are kept" if failed.doc in self.redo else ""
        self.store.record_error(failed.doc, failed.error + kept)
        self.failed += 1

    def flush(self) -> None:
        block, self.buffer, self.buffered_rows = self.buffer, [], 0  # a failed write is not tried twice
        if block:
            self.store.write_block(block)

    def show(self) -> None:
        rate = self.sentences / max(time.perf_counter() - self.started, 1e-9)
        detail = f"{self.failed} failed, {rate:.0f} sent/s"
        report(self.progress, "document sets", self.aligned + self.failed, len(self.todo), detail, unit="set")

    def outcome(self) -> Outcome:
        return Outcome(
            self.aligned, self.replaced, self.warned, self.failed, self.skipped, self.sentences, self.rows
        )
