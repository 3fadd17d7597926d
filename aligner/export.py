"""Export stage: a table out as TSV, JSONL, TMX 1.4, Vecalign ``.align`` lines or Moses-style
plain text, each with its provenance.

Every writer renders to a string first and the files are replaced atomically, so a failed or
interrupted run never leaves half a corpus behind. The provenance (``aligner.provenance``) goes
where each format can carry it: a ``<prop>`` of the TMX header, the first JSONL record, and a
sidecar ``OUT.meta.json`` beside TSV, ``.align`` and Moses files, which stay plain.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import secrets
import stat
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from aligner.errors import AlignerError
from aligner.evaluate import format_alignment
from aligner.provenance import Provenance
from aligner.version import __version__

if TYPE_CHECKING:
    from aligner.table import Table

SCORE_DECIMALS = 4
"""Places to which every output writes a score (and ``--min-row-score`` compares it)."""

META_SUFFIX = ".meta.json"
"""The sidecar of a TSV, ``.align`` or Moses output: ``OUT.meta.json`` (``PREFIX.meta.json``)."""

UNKNOWN = Provenance("unknown", "unknown", "unknown")
"""What a table built by hand, with no provenance of its own, is written with."""

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# What XML 1.0 cannot hold, even escaped: most C0 controls, surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def to_tsv(alignment: Table) -> str:
    """Tab-separated, header first; fields holding tabs, quotes or line breaks are quoted
    (the csv module's excel-tab dialect, which pandas and spreadsheets read back as is)."""
    buffer = io.StringIO()
    alignment.to_pandas().to_csv(buffer, sep="\t", index=False, lineterminator="\n")
    return buffer.getvalue()


def kept_rows(alignment: Table, only_linked: bool = False, min_score: float | None = None) -> Table:
    """The table with only the rows that hold two or more languages (``only_linked``) and are
    scored ``min_score`` or more, for translation memories and MT training, which take a unit of
    one language for text to translate; the provenance says what was left out. Unlike every
    other output, such a table does not hold every sentence."""
    if not only_linked and min_score is None:
        return alignment
    keep = [
        r
        for r, row in enumerate(alignment.rows)
        if (not only_linked or sum(bool(ids) for ids in row) > 1)
        # against the score as written, so that a row shown at the threshold is kept
        and (min_score is None or round(float(alignment.scores[r]), SCORE_DECIMALS) >= min_score)
    ]
    if not keep:
        raise AlignerError("no row is left to write by --only-linked and --min-row-score: nothing written")
    kept = alignment.subset(keep)
    chosen = {"export.only_linked": only_linked, "export.min_row_score": min_score}
    provenance = alignment.provenance or UNKNOWN
    kept.provenance = replace(
        provenance, settings={**provenance.settings, **{k: v for k, v in chosen.items() if v}}
    )
    return kept


def provenance_record(alignment: Table) -> dict:
    """The table's provenance as a JSON-ready record (``UNKNOWN``'s for a table built by hand)."""
    return (alignment.provenance or UNKNOWN).to_json()


def read_tsv(path: str | Path):  # -> pandas.DataFrame; pandas loads when it is called
    """A TSV that aligner wrote, read back as written: text, ids and ``doc`` as strings (an empty
    cell is ""), ``score`` and ``score_L1_L2`` as floats (an empty cell, a pair absent from the
    row, is NaN)."""
    import pandas as pd

    frame = pd.read_csv(path, sep="\t", keep_default_na=False, dtype=str)
    for column in frame.columns:
        if column == "score" or column.startswith("score_"):
            frame[column] = pd.to_numeric(frame[column].mask(frame[column] == ""))
    return frame


def to_jsonl(alignment: Table) -> str:
    """A first record ``{"provenance": {...}}``, then one JSON object per row, the TSV's columns
    as keys; ids as integer lists, absent scores null."""
    frame = alignment.to_pandas()
    lines = [json.dumps({"provenance": provenance_record(alignment)}, ensure_ascii=False)]
    for r, record in enumerate(frame.to_dict(orient="records")):
        for key, value in record.items():
            if isinstance(value, float) and math.isnan(value):
                record[key] = None  # pandas turns a pair score's None into NaN, which is not JSON
        for column, lang in enumerate(alignment.langs):
            record[f"{lang}_ids"] = list(alignment.rows[r][column])
        lines.append(json.dumps(record, ensure_ascii=False, allow_nan=False))
    return "".join(line + "\n" for line in lines)


TMX_DOCTYPE = '<!DOCTYPE tmx SYSTEM "tmx14.dtd">'
"""As the TMX 1.4 DTD says to declare it ("Use in TMX"), and as translate-toolkit and many other
TMX writers do: in XML terms a document is valid only against the DTD it declares. The DTD is
not shipped; readers do not fetch it (they carry their own copy or read without validating)."""


def tmx_langs(langs: list[str]) -> list[str]:
    """The ``xml:lang`` of each column: its label as a standard BCP 47 tag (``zh_CN`` -> ``zh-CN``,
    ``fra`` -> ``fr``), which TMX requires and CAT tools match on."""
    import langcodes

    codes = []
    for lang in langs:
        if not langcodes.tag_is_valid(lang):
            raise AlignerError(
                f"TMX needs a language code as xml:lang for every version; {lang!r} is not one "
                "(use BCP 47 codes such as fr, zh-Hant)"
            )
        code = langcodes.standardize_tag(lang)
        if code in codes:
            raise AlignerError(f"TMX needs one language code per version; {code!r} is given twice")
        codes.append(code)
    return codes


def to_tmx(alignment: Table) -> str:
    """TMX 1.4, valid against its DTD: one ``tu`` per row (``tuid`` from 1) with a ``tuv`` per
    language present, ``xml:lang`` from ``tmx_langs``, and the row score, if any, as an
    ``x-score`` prop.

    Every row is a unit, as in the other formats: a sentence with no counterpart is a unit of one
    language, of no use to a translation memory, but the file stays complete. The header's
    ``srclang`` is the first language; a unit without it names its own first language as
    ``srclang``. Characters that XML cannot hold (possible in ``--presplit`` lines) become U+FFFD,
    with a warning. The header holds the provenance: its one-line signature as the
    ``x-aligner-signature`` prop and the whole record as JSON in ``x-aligner-provenance``.
    """
    from lxml import etree

    codes = tmx_langs(alignment.langs)
    record = provenance_record(alignment)
    root = etree.Element("tmx", version="1.4")
    header = etree.SubElement(
        root,
        "header",
        creationtool="aligner",
        creationtoolversion=__version__,
        segtype="sentence",
        datatype="plaintext",
        adminlang="en",
        srclang=codes[0],
        **{"o-tmf": "aligner"},
    )
    etree.SubElement(header, "prop", type="x-aligner-signature").text = record["signature"]
    record_json = json.dumps(record, ensure_ascii=False)
    etree.SubElement(header, "prop", type="x-aligner-provenance").text = record_json
    body = etree.SubElement(root, "body")
    segments_replaced, first_replaced = 0, None
    for r, row in enumerate(alignment.rows):
        present = [column for column, ids in enumerate(row) if ids]
        unit = etree.SubElement(body, "tu", tuid=str(r + 1))
        if present[0] != 0:
            unit.set("srclang", codes[present[0]])
        if alignment.docs is not None:
            etree.SubElement(unit, "prop", type="x-doc").text = _NOT_XML.sub("\ufffd", alignment.docs[r])
        if not math.isnan(alignment.scores[r]):  # an unmatched document's rows are not scored
            etree.SubElement(unit, "prop", type="x-score").text = f"{alignment.scores[r]:.{SCORE_DECIMALS}f}"
        for column in present:
            variant = etree.SubElement(unit, "tuv", {XML_LANG: codes[column]})
            text, replaced = _NOT_XML.subn("\ufffd", alignment.text(r, column))
            etree.SubElement(variant, "seg").text = text
            if replaced and first_replaced is None:
                first_replaced = f"row {r + 1}, {alignment.langs[column]}"
            segments_replaced += bool(replaced)
    if segments_replaced:
        warnings.warn(
            f"{segments_replaced} sentence{'s hold' if segments_replaced > 1 else ' holds'} control "
            f"characters that XML cannot hold, written as U+FFFD in the TMX (the first: {first_replaced}); "
            "the TSV and JSONL keep them",
            stacklevel=2,
        )
    # The declaration written out, for its conventional double quotes (lxml writes single ones).
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{TMX_DOCTYPE}\n' + etree.tostring(
        root, encoding="unicode", pretty_print=True
    )


def to_vecalign(alignment: Table) -> str:
    """``[i, j]:[k]:score`` per row, 0-based: the benchmark format, for exactly two languages."""
    if alignment.docs is not None:
        raise AlignerError(".align output takes one document, not a collection: use .tsv or .jsonl")
    if len(alignment.langs) != 2:
        raise AlignerError(f".align output needs exactly two inputs, got {len(alignment.langs)}")
    return format_alignment([(row[0], row[1]) for row in alignment.rows], list(alignment.scores))


FORMATS: dict[str, Callable[[Table], str]] = {
    "tsv": to_tsv,
    "jsonl": to_jsonl,
    "tmx": to_tmx,
    "align": to_vecalign,
}


_MOSES_SPACES = re.compile(r"[ \t\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+")
"""What becomes one space in a Moses line: ASCII spaces and tabs, and every character that
would break the line for some reader (Python's ``splitlines`` breaks on all of these). Other
spaces, such as the no-break spaces of French typography, are text and are kept."""


def to_moses(alignment: Table) -> dict[str, str]:
    """Moses-style plain text, the usual input of MT training: one text per language, a line per
    row (empty where the language has nothing), so every file has the same line count."""
    rows = range(len(alignment.rows))
    return {
        lang: "".join(_MOSES_SPACES.sub(" ", alignment.text(r, column)).strip(" ") + "\n" for r in rows)
        for column, lang in enumerate(alignment.langs)
    }


def moses_paths(prefix: str | Path, langs: list[str]) -> list[Path]:
    """``PREFIX.L`` for each language L."""
    return [Path(f"{prefix}.{lang}") for lang in langs]


def meta_path(path: str | Path) -> Path:
    """The sidecar that holds the provenance of output ``path`` (a Moses prefix for Moses)."""
    return Path(f"{path}{META_SUFFIX}")


def meta(record: dict, **facts: object) -> str:
    """A sidecar's content: ``{"provenance": record, **facts}`` as indented JSON."""
    return json.dumps({"provenance": record, **facts}, ensure_ascii=False, indent=2) + "\n"


def with_sidecar(path: str | Path, content: str, record: dict, fmt: str, **facts: object) -> dict[Path, str]:
    """What to write for an output whose format cannot hold its provenance: ``content`` at
    ``path`` and the provenance ``record`` in ``meta_path(path)`` (none beside a device or FIFO,
    which is written through like stdout)."""
    contents = {Path(path): content}
    if not is_stream(path):
        contents[meta_path(path)] = meta(record, format=fmt, **facts)
    return contents


def write_moses(alignment: Table, prefix: str | Path) -> list[Path]:
    """``PREFIX.L`` for each language and ``PREFIX.meta.json``, all or none; return the text files."""
    write(alignment, prefix, "moses")
    return moses_paths(prefix, alignment.langs)


def _facts(alignment: Table) -> dict[str, object]:
    return {"langs": list(alignment.langs), "rows": len(alignment.rows)}


def format_for(path: str | Path) -> str:
    """The format named by a path's suffix."""
    suffix = Path(path).suffix.lstrip(".").lower()
    if suffix not in FORMATS:
        raise AlignerError(
            f"unknown output suffix {Path(path).suffix!r}: use one of {', '.join('.' + f for f in FORMATS)}"
        )
    return suffix


def render(alignment: Table, fmt: str) -> str:
    return FORMATS[fmt](alignment)


_STREAM_NAMES = re.compile(r"/dev/(?:std(?:in|out|err)|fd/\d+)|/proc/(?:self|\d+)/fd/\d+")
"""Names of a process's own open files: written through whatever they are open on (a terminal,
a pipe, or the file the shell redirected stdout to)."""


def is_stream(path: str | Path) -> bool:
    """Whether ``path`` is, or links to, something that is written through rather than replaced:
    a character device (``/dev/null``, a terminal), a FIFO or a socket (``-o >(gzip > x.gz)``),
    or a process's own open file (``-o /dev/stdout`` with stdout redirected to a file)."""
    if _STREAM_NAMES.fullmatch(str(path)):
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _target(path: Path) -> Path:
    """The file that writing ``path`` replaces: a symbolic link's target, else ``path``."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def check_writable(path: str | Path) -> None:
    """Fail before the work, not after it, when ``path`` cannot be written."""
    path = Path(path)
    if is_stream(path):
        if not os.access(path, os.W_OK):
            raise AlignerError(f"cannot write {path}: permission denied")
        return
    if path.is_symlink() and not path.exists():
        raise AlignerError(f"cannot write {path}: it is a symbolic link to nothing (or a loop)")
    path = _target(path)
    directory = path.parent
    if path.is_dir():
        raise AlignerError(f"cannot write {path}: it is a directory")
    if not directory.is_dir():
        problem = "is not a directory" if directory.exists() else "does not exist"
        raise AlignerError(f"cannot write {path}: {directory} {problem}")
    try:
        # An unnamed file (O_TMPFILE on Linux) proves the directory writable, even for root on a
        # read-only file system, and vanishes whatever happens to this process.
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as err:
        raise AlignerError(f"cannot write {path}: {err.strerror}") from None


def write_atomic_many(contents: dict[Path, str]) -> None:
    """Replace each path with its content: readers and interrupted runs see the old files or the
    new ones. Every content goes to a temporary file in the same directory, flushed to disk, and
    only when all are written are they renamed into place, so that files that belong together
    (an output and its sidecar, the Moses files) come all or none; on any exception (Ctrl-C and
    ``kill`` included) the temporary files are removed. An existing file keeps its permissions;
    a new one gets the umask's, as with ``open``.

    A symbolic link is followed: its target is replaced and the link stays. A device, FIFO or
    socket (``is_stream``) is written through, after the regular files are staged and before
    they are renamed into place."""
    for path in contents:
        check_writable(path)
    streams = {path: content for path, content in contents.items() if is_stream(path)}
    staged: dict[Path, Path] = {}
    try:
        for path, content in contents.items():
            if path in streams:
                continue
            target = _target(path)
            temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
            _stage(temporary, content.encode("utf-8"), target)
            staged[target] = temporary
        for path, content in streams.items():
            with open(path, "wb") as out:
                out.write(content.encode("utf-8"))
        for target, temporary in staged.items():
            os.replace(temporary, target)
    except BaseException as err:
        for temporary in staged.values():
            temporary.unlink(missing_ok=True)
        if isinstance(err, OSError):
            failed = next((p for p in contents if p not in staged), next(iter(contents)))
            raise AlignerError(f"cannot write {failed}: {err.strerror}") from None
        raise


def _stage(temporary: Path, data: bytes, path: Path) -> None:
    """Write ``data`` to ``temporary``, with ``path``'s permissions if it exists."""
    try:
        try:
            _write_unnamed(temporary, data)
        except (AttributeError, OSError):  # no O_TMPFILE (not Linux, or NFS and the like) or no /proc
            _write_new(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666), data)
        if path.exists():
            os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _write_unnamed(temporary: Path, data: bytes) -> None:
    """Write ``data`` into a file without a name, and only then name it ``temporary``.

    A process killed while writing (even by SIGKILL, which no handler sees) leaves nothing.
    """
    directory = os.open(temporary.parent, os.O_RDONLY)
    try:
        handle = os.open(temporary.parent, os.O_TMPFILE | os.O_WRONLY, 0o666)
        try:
            _write_new(handle, data, close=False)
            # With a directory descriptor, os.link calls linkat with AT_SYMLINK_FOLLOW, which
            # links the open file itself rather than the /proc symlink.
            os.link(f"/proc/self/fd/{handle}", temporary.name, dst_dir_fd=directory)
        finally:
            os.close(handle)
    finally:
        os.close(directory)


def _write_new(handle: int, data: bytes, close: bool = True) -> None:
    with os.fdopen(handle, "wb", closefd=close) as out:
        out.write(data)
        out.flush()
        os.fsync(handle)


SIDECAR_FORMATS = ("tsv", "align")
"""Formats that cannot carry their provenance inside, and get ``OUT.meta.json`` beside them."""


def output_paths(path: str | Path, fmt: str, langs: list[str]) -> list[Path]:
    """Every file that writing ``fmt`` to ``path`` creates: the output and any sidecar (none
    beside a device or FIFO, which is written through like stdout)."""
    if fmt == "moses":
        return [*moses_paths(path, langs), meta_path(path)]
    sidecar = fmt in SIDECAR_FORMATS and not is_stream(path)
    return [Path(path), meta_path(path)] if sidecar else [Path(path)]


def files(alignment: Table, path: str | Path, fmt: str | None = None) -> dict[Path, str]:
    """What writing ``alignment`` to ``path`` in ``fmt`` (default: from the suffix; ``moses``
    takes ``path`` as a prefix) creates, with its provenance: ``{path: content}``."""
    fmt = fmt or format_for(path)
    record = provenance_record(alignment)
    if fmt == "moses":
        contents = dict(zip(moses_paths(path, alignment.langs), to_moses(alignment).values(), strict=True))
        contents[meta_path(path)] = meta(record, format="moses", **_facts(alignment))
        return contents
    content = render(alignment, fmt)
    if fmt in SIDECAR_FORMATS:
        return with_sidecar(path, content, record, fmt, **_facts(alignment))
    return {Path(path): content}


def write(alignment: Table, path: str | Path, fmt: str | None = None) -> list[Path]:
    """Write ``files(alignment, path, fmt)``, all or none; return their paths."""
    contents = files(alignment, path, fmt)
    write_atomic_many(contents)
    return list(contents)
