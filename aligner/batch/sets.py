"""The document sets of a batch: which files are versions of one document, in which language.

A set list is either a TSV file whose header is ``doc`` and then one language code per column,
with a row per document set holding its id and a path per language (empty where the language is
missing; relative paths start at the TSV's folder), or a folder tree ``ROOT/<doc>/<lang>.txt``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from aligner.errors import AlignerError


@dataclass(frozen=True)
class DocumentSet:
    """One document in several languages: ``files`` maps a language to its file, in the set
    list's column order; ``index`` is the set's place in the list (the output's order)."""

    doc: str
    index: int
    files: tuple[tuple[str, Path], ...]

    @property
    def langs(self) -> list[str]:
        return [lang for lang, _ in self.files]


def fingerprint(document_set: DocumentSet) -> str | None:
    """What the set's files are now: each one's language, path, size and time of last change
    (as make and rsync tell a changed file, without reading it), hashed; None where a file is
    missing. A set whose fingerprint differs from the one recorded when it was written has
    changed since."""
    try:
        # the path as the file system resolves it, so that a run from another folder, or
        # through a link, finds the same files unchanged
        stats = [(lang, os.path.realpath(path), os.stat(path)) for lang, path in document_set.files]
    except OSError:
        return None
    record = [(lang, path, stat.st_size, stat.st_mtime_ns) for lang, path, stat in stats]
    return hashlib.blake2b(json.dumps(record).encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class SetList:
    """The sets to align and every language the list names, in column order; ``source`` is the
    TSV file or the folder tree they were read from (None where they were made in Python)."""

    langs: list[str]
    sets: list[DocumentSet]
    source: Path | None = None

    def inputs(self) -> list[Path]:
        """Every file the list names, and the TSV file itself: what no output may replace."""
        listed = [path for document_set in self.sets for _, path in document_set.files]
        return [self.source, *listed] if self.source is not None and self.source.is_file() else listed


def read_sets(source: Path) -> SetList:
    """The set list at ``source``: a TSV file or a folder tree (see the module's note)."""
    source = Path(source)
    if source.is_dir():
        return _from_tree(source)
    from aligner.clean import read_text

    return _from_tsv(source, read_text(source, "utf-8"))


def _from_tsv(source: Path, text: str) -> SetList:
    reader = csv.reader(io.StringIO(text), delimiter="\t")  # line ends are LF: read_text
    rows, starts, read = [], [], 0
    for row in reader:
        rows.append(row)
        starts.append(read + 1)  # the line it starts on: a quoted field may span several
        read = reader.line_num
    if not rows or not rows[0] or rows[0][0].strip() != "doc":
        raise AlignerError(f"{source}: the header must be 'doc' and then a language code per column")
    if not all(code.strip() for code in rows[0][1:]):
        raise AlignerError(f"{source}: the header has a column with no language code (a tab too many?)")
    langs = [_language(source, code) for code in rows[0][1:]]
    if len(langs) < 2:
        raise AlignerError(f"{source}: the header names only {len(langs)} language; a set needs two or more")
    if len(set(langs)) < len(langs):
        raise AlignerError(f"{source}: the header names a language twice")
    sets, seen = [], set()
    for number, row in zip(starts[1:], rows[1:], strict=True):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(langs) + 1:
            raise AlignerError(f"{source}:{number}: {len(row)} fields, the header has {len(langs) + 1}")
        doc = row[0].strip()
        if not doc or doc in seen or "\n" in doc or "\r" in doc:
            why = "no doc id" if not doc else f"doc {doc!r} is listed twice" if doc in seen else ""
            raise AlignerError(f"{source}:{number}: " + (why or f"doc id {doc!r} holds a line break"))
        seen.add(doc)
        files = tuple(
            (lang, (source.parent / cell.strip()).absolute())
            for lang, cell in zip(langs, row[1:], strict=True)
            if cell.strip()
        )
        sets.append(DocumentSet(doc, len(sets), files))
    if not sets:
        raise AlignerError(f"{source}: no document sets listed")
    return SetList(langs, sets, source.absolute())


def _from_tree(root: Path) -> SetList:
    folders = sorted(p for p in root.absolute().iterdir() if p.is_dir() and not p.name.startswith("."))
    found = []
    left_out = [
        path
        for folder in folders
        for path in sorted(folder.iterdir())
        if not path.name.startswith(".") and not (path.suffix == ".txt" and path.is_file())
    ]
    if left_out:
        shown = ", ".join(str(path.relative_to(root.absolute())) for path in left_out[:3])
        warnings.warn(
            f"{root}: {len(left_out)} {'entry' if len(left_out) == 1 else 'entries'} of the document "
            f"folders {'is' if len(left_out) == 1 else 'are'} no <lang>.txt file and left out ({shown}"
            + (", ...)" if len(left_out) > 3 else ")"),
            stacklevel=3,
        )
    for folder in folders:
        files: dict[str, Path] = {}
        for path in sorted(p for p in folder.glob("*.txt") if p.is_file()):
            lang = _language(path, path.stem)
            if lang in files:
                raise AlignerError(
                    f"{files[lang]} and {path} are both {lang!r}: keep one version per language"
                )
            files[lang] = path
        found.append((folder.name, files))
    langs = sorted({lang for _, files in found for lang in files})
    if not langs:
        raise AlignerError(f"{root}: no ROOT/<doc>/<lang>.txt files")
    sets = [
        DocumentSet(doc, k, tuple((lang, files[lang]) for lang in langs if lang in files))
        for k, (doc, files) in enumerate(found)
    ]
    return SetList(langs, sets, root.absolute())


def _language(where: Path, code: str) -> str:
    """``code`` standardised, if it names a language (as ``aligner align --langs`` checks)."""
    from aligner.languages import standard_code

    return standard_code(code, f"in {where}")
