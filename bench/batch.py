"""``aligner batch`` on many document sets, against a shell loop of ``aligner align``.

    .venv/bin/python bench/batch.py [--bible-sets 300] [--tatoeba-seeds 40] [--loop-sets 40]
    .venv/bin/python bench/batch.py --batch-only N    # (a)'s batch alone, N times

``--batch-only`` compares two commits on this machine, whose speed drifts by the hour: run it in
each one's worktree in turn, from that folder and with ``PYTHONPATH`` set to it (Ray's workers
import the pipeline from the driver's folder), for example
``cd /tmp/old && PYTHONPATH=/tmp/old /path/to/repo/.venv/bin/python /path/to/repo/bench/batch.py
--batch-only 1``.

Builds the sets from ``../shared/bench`` into ``outputs/bench/batch/``: Bible ``006`` cut into
pieces of 40 gold beads (English-Chinese, news-sized) and the Tatoeba documents of
``bench/nway.py`` in three and four languages, with omissions, merges and insertions. Then,
every run without the embedding cache, one after the other:

(a) ``aligner batch`` over all sets with two workers, against ``aligner align`` run once per set
    in a shell loop over the first ``--loop-sets`` sets (the loop's rate is per set, so the
    sample stands for the whole list), and against the encoder's own throughput: the same
    sentences embedded once in one process, right before and right after the batch;
(b) the batch again with one worker, and with two over the first 100 sets;
(c) the peak memory and the CPU time of each Ray worker process (sampled twice a second), and
    how busy the machine's cores were;
(d) strict F1 of the sets with gold, from the dataset and from aligning each set alone with
    the API, which must be the same.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from nway import DATASETS, Edits, build_documents
from paths import BENCH, OUTPUTS

from aligner.api import align
from aligner.batch import align_batch, read_dataset
from aligner.encode import encode, load_encoder
from aligner.evaluate import Bead, read_alignment, score
from aligner.table import row_beads

WORK = OUTPUTS / "batch"
BIBLE_BEADS_PER_SET = 40


def bible_sets(count: int, folder: Path) -> dict[str, tuple[dict[str, Path], list[Bead]]]:
    """Pieces of Bible ``006``: each the sentences of 40 consecutive gold beads, with the gold
    renumbered from 0."""
    data = BENCH / "bible_en_zh"
    english = (data / "006.en").read_text(encoding="utf-8").splitlines()
    chinese = (data / "006.zh").read_text(encoding="utf-8").splitlines()
    gold = read_alignment(data / "006.align")
    sets = {}
    for k in range(count):
        beads = gold[k * BIBLE_BEADS_PER_SET : (k + 1) * BIBLE_BEADS_PER_SET]
        if len(beads) < BIBLE_BEADS_PER_SET:
            break
        first_en = min(i for a, _ in beads for i in a)
        first_zh = min(j for _, b in beads for j in b)
        last_en = max(i for a, _ in beads for i in a)
        last_zh = max(j for _, b in beads for j in b)
        doc = f"bible-{k:03d}"
        files = {"en": folder / f"{doc}.en", "zh": folder / f"{doc}.zh"}
        files["en"].write_text("\n".join(english[first_en : last_en + 1]) + "\n", encoding="utf-8")
        files["zh"].write_text("\n".join(chinese[first_zh : last_zh + 1]) + "\n", encoding="utf-8")
        renumbered = [(tuple(i - first_en for i in a), tuple(j - first_zh for j in b)) for a, b in beads]
        sets[doc] = (files, renumbered)
    return sets


def tatoeba_sets(seeds: int, folder: Path) -> dict[str, tuple[dict[str, Path], dict]]:
    """``bench/nway.py``'s documents, with the gold of every language pair."""
    sets = {}
    for dataset in DATASETS:
        for document in build_documents(dataset, range(seeds), Edits()):
            doc = f"{dataset}-{document.name}"
            files = {}
            for rendering in document.renderings:
                files[rendering.lang] = folder / f"{doc}.{rendering.lang}"
                files[rendering.lang].write_text("\n".join(rendering.lines) + "\n", encoding="utf-8")
            langs = document.langs
            gold = {
                (langs[a], langs[b]): document.gold(a, b)
                for a in range(len(langs))
                for b in range(a + 1, len(langs))
            }
            sets[doc] = (files, gold)
    return sets


def write_set_list(sets: dict[str, dict[str, Path]], langs: list[str], path: Path) -> None:
    rows = ["\t".join(["doc", *langs])]
    for doc, files in sets.items():
        rows.append("\t".join([doc, *(files[lang].name if lang in files else "" for lang in langs)]))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


class WorkerUsage:
    """The peak resident memory and the CPU time of each Ray worker process, sampled in a thread
    (a process's last half second before it ends is missed), and how busy the machine was."""

    def __init__(self) -> None:
        self.peaks: dict[int, tuple[str, float]] = {}
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> WorkerUsage:
        import psutil

        self._machine = psutil.cpu_times()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        import psutil

        self._stop.set()
        self._thread.join()
        end = psutil.cpu_times()
        total = sum(end) - sum(self._machine)
        idle = (end.idle + end.iowait) - (self._machine.idle + self._machine.iowait)
        self.busy = 1.0 - idle / total if total > 0 else 0.0

    def _sample(self) -> None:
        import psutil

        while not self._stop.wait(0.5):
            for process in psutil.process_iter(["pid", "cmdline", "memory_info", "cpu_times"]):
                command = " ".join(process.info["cmdline"] or [])
                if not command.startswith("ray::") or process.info["memory_info"] is None:
                    continue
                kind = command.split()[0].split(".")[0]
                mib = process.info["memory_info"].rss / 2**20
                before = self.peaks.get(process.info["pid"], ("", 0.0))[1]
                self.peaks[process.info["pid"]] = (kind, max(mib, before))
                times = process.info["cpu_times"]
                self.cpu[process.info["pid"]] = times.user + times.system

    def summary(self) -> str:
        by_kind: dict[str, list[tuple[float, float]]] = {}
        for pid, (kind, mib) in self.peaks.items():
            by_kind.setdefault(kind, []).append((mib, self.cpu.get(pid, 0.0)))
        workers = "; ".join(
            f"{kind} x{len(v)}: peak {max(m for m, _ in v):.0f} MiB, {sum(c for _, c in v):.1f} CPU-s"
            for kind, v in sorted(by_kind.items())
        )
        return f"{workers}; machine busy {self.busy:.0%}"


def timed_batch(listing: Path, out: Path, workers: int) -> tuple[float, int, str]:
    shutil.rmtree(out, ignore_errors=True)
    with WorkerUsage() as memory:
        result = align_batch(listing, out, presplit=True, use_cache=False, workers=workers)
    assert result.failed == 0, (out / "_errors.tsv").read_text()
    return result.seconds, result.sentences, memory.summary()


def encoder_alone(texts: list[str]) -> float:
    """Seconds to load the default model and embed ``texts`` once, in this process."""
    started = time.perf_counter()
    encode(texts, load_encoder())
    return time.perf_counter() - started


def pair_beads(rows: list[tuple[list[int], list[int]]]) -> list[Bead]:
    return [bead for a, b in rows for bead in row_beads(tuple(a), tuple(b))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bible-sets", type=int, default=300)
    parser.add_argument("--tatoeba-seeds", type=int, default=40)
    parser.add_argument("--loop-sets", type=int, default=40)
    parser.add_argument("--batch-only", type=int, metavar="N", help="only (a)'s batch, N times")
    args = parser.parse_args()
    folder = WORK / "sets"
    shutil.rmtree(WORK, ignore_errors=True)
    folder.mkdir(parents=True)
    bible = bible_sets(args.bible_sets, folder)
    tatoeba = tatoeba_sets(args.tatoeba_seeds, folder)
    langs = ["en", "zh", "fr", "ja"]
    files = {doc: f for doc, (f, _) in {**bible, **tatoeba}.items()}
    listing = folder / "corpus.tsv"
    write_set_list(files, langs, listing)
    first_100 = folder / "corpus-100.tsv"
    write_set_list(dict(list(files.items())[:100]), langs, first_100)
    paths = [path for f in files.values() for path in f.values()]
    texts = [line for path in paths for line in path.read_text("utf-8").splitlines()]
    kinds = f"{len(bible)} Bible, {len(tatoeba)} Tatoeba"
    print(f"{len(files)} document sets ({kinds}), {len(texts):,} sentences")
    if args.batch_only is not None:
        for _ in range(args.batch_only):
            seconds, _, memory = timed_batch(listing, WORK / "out-2", 2)
            print(f"(a) batch, 2 workers: {seconds:.1f} s; workers: {memory}")
        return

    # the encoder alone right before and right after the batch: this machine's speed drifts
    encoding_before = encoder_alone(texts)
    seconds, sentences, memory = timed_batch(listing, WORK / "out-2", 2)
    print(f"(a) batch, 2 workers: {seconds:.1f} s, {len(files) / seconds * 60:.0f} sets/min, "
          f"{sentences / seconds:.0f} sent/s; workers: {memory}")  # fmt: skip
    encoding_after = encoder_alone(texts)
    encoding = (encoding_before + encoding_after) / 2
    print(f"(a) the encoder alone, the same {len(texts):,} sentences in one process, its load included: "
          f"{encoding_before:.1f} s before the batch, {encoding_after:.1f} s after; batch/encoder time "
          f"{seconds / encoding:.2f}x (against the mean)")  # fmt: skip

    loop = list(files.items())[: args.loop_sets]
    started = time.perf_counter()
    for doc, set_files in loop:
        order = [lang for lang in langs if lang in set_files]
        command = [str(Path(sys.executable).parent / "aligner"), "align", *(str(set_files[k]) for k in order)]
        command += ["--presplit", "--langs", ",".join(order), "--no-cache", "-q", "-o", f"{WORK / doc}.tsv"]
        subprocess.run(command, check=True)
    loop_seconds = time.perf_counter() - started
    loop_sentences = sum(len(p.read_text("utf-8").splitlines()) for _, f in loop for p in f.values())
    loop_rate = len(loop) / loop_seconds * 60
    print(f"(a) shell loop of aligner align over the first {len(loop)} sets: {loop_seconds:.1f} s, "
          f"{loop_rate:.1f} sets/min, {loop_sentences / loop_seconds:.0f} sent/s; "
          f"batch/loop: {len(files) / seconds * 60 / loop_rate:.1f}x the sets a minute")  # fmt: skip


    one_seconds, one_sentences, one_memory = timed_batch(listing, WORK / "out-1", 1)
    print(f"(b) batch, 1 worker: {one_seconds:.1f} s, {one_sentences / one_seconds:.0f} sent/s; 2 workers "
          f"{one_seconds / seconds:.2f}x as fast; workers: {one_memory}")  # fmt: skip
    small_seconds, _, small_memory = timed_batch(first_100, WORK / "out-100", 2)
    print(f"(c) batch, 2 workers, the first 100 sets: {small_seconds:.1f} s; workers: {small_memory}")

    frame = read_dataset(WORK / "out-2")
    system = {"bible": ([], []), "tatoeba": ([], [])}
    alone = {"bible": [], "tatoeba": []}
    identical = True
    for doc, (set_files, gold) in {**bible, **tatoeba}.items():
        rows = frame[frame["doc"] == doc]
        order = [lang for lang in langs if lang in set_files]
        versions = {lang: set_files[lang].read_text("utf-8").splitlines() for lang in order}
        single = align(versions, use_cache=True)
        kind = "bible" if doc in bible else "tatoeba"
        pairs = {("en", "zh"): gold} if kind == "bible" else gold
        for (a, b), gold_beads in pairs.items():
            found = pair_beads(list(zip(rows[f"{a}_ids"], rows[f"{b}_ids"], strict=True)))
            columns = single.langs.index(a), single.langs.index(b)
            on_its_own = pair_beads([(r[columns[0]], r[columns[1]]) for r in single.rows])
            identical &= found == on_its_own
            system[kind][0].append(gold_beads)
            system[kind][1].append(found)
            alone[kind].append(on_its_own)
    for kind, (gold_docs, found_docs) in system.items():
        batch_f1 = score(gold_docs, found_docs).strict_f1
        alone_f1 = score(gold_docs, alone[kind]).strict_f1
        print(f"(d) {kind}: strict F1 {batch_f1:.3f} from the dataset, {alone_f1:.3f} each set alone")
    print(f"(d) every pair's beads the same in the dataset as aligned alone: {identical}")


if __name__ == "__main__":
    main()
