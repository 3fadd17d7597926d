"""Short content hashes of model weights, for the provenance of results, and the seals that say
a converted copy of the weights is still as it was written."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

DIGEST_HEX = 12
"""Hex digits kept: enough to tell weights apart, short enough to read in a signature."""

_READ_BYTES = 1 << 20


def file_digest(paths: Sequence[Path]) -> str:
    """BLAKE2b of the files' contents, in the order given, as ``DIGEST_HEX`` hex digits."""
    digest = hashlib.blake2b(digest_size=16)
    for path in paths:
        with open(path, "rb") as handle:
            while chunk := handle.read(_READ_BYTES):
                digest.update(chunk)
    return digest.hexdigest()[:DIGEST_HEX]


def bytes_digest(data: bytes | memoryview) -> str:
    """``file_digest`` of a file that holds ``data``."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()[:DIGEST_HEX]


WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".onnx")


def directory_digest(directory: Path) -> str:
    """``file_digest`` of the weight files anywhere under a model directory, by relative path."""
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix in WEIGHT_SUFFIXES)
    return file_digest(files) if files else "unknown"


def seal(directory: Path, stamp: str, marker: str) -> None:
    """Mark ``directory`` complete: the file ``marker`` in it holds ``stamp`` (what made the copy),
    the digest of every other file, and their sizes and modification times."""
    files = _sealed_files(directory, marker)
    record = {"stamp": stamp, "digest": file_digest(files), "files": _stats(directory, files)}
    _write_marker(directory / marker, record)


def sealed(directory: Path, stamp: str, marker: str) -> bool:
    """Whether ``directory`` is a copy that ``seal`` marked with ``stamp`` and that is as it was
    then: each file of the same size and time, or, where the times changed (a copied cache), of
    the same contents, whose new times are then recorded where the directory can be written."""
    record = _record(directory / marker)
    if record is None:
        return _legacy(directory, stamp, marker)
    if record.get("stamp") != stamp:
        return False
    try:
        files = _sealed_files(directory, marker)
        stats = _stats(directory, files)
        if stats == record.get("files"):
            return True
        if file_digest(files) != record.get("digest"):
            return False
    except OSError:  # a file gone while it was looked at: another process replacing the copy
        return False
    with contextlib.suppress(OSError):  # a read-only cache: checked now, and again at each use
        _write_marker(directory / marker, {**record, "files": stats})
    return True


def _legacy(directory: Path, stamp: str, marker: str) -> bool:
    """Whether ``directory`` holds a copy an earlier release marked complete with ``stamp`` alone
    (a line of text): taken as it was then, and sealed now where the cache can be written, so
    that a shared read-only cache keeps serving it."""
    try:
        if (directory / marker).read_text(encoding="utf-8") != stamp:
            return False
    except (OSError, UnicodeDecodeError):
        return False
    with contextlib.suppress(OSError):
        seal(directory, stamp, marker)
    return True


def was_sealed(directory: Path, stamp: str, marker: str) -> bool:
    """Whether ``seal`` marked ``directory`` with ``stamp``, whatever became of its files since."""
    record = _record(directory / marker)
    return record is not None and record.get("stamp") == stamp


def _sealed_files(directory: Path, marker: str) -> list[Path]:
    """Every file but the marker, and the marker's replacement that a process may be writing."""
    ours = (marker, f".{marker}.")
    return sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith(ours))


def _stats(directory: Path, files: Sequence[Path]) -> dict[str, list[int]]:
    stats = {str(path.relative_to(directory)): path.stat() for path in files}
    return {name: [stat.st_size, stat.st_mtime_ns] for name, stat in stats.items()}


def _record(path: Path) -> dict | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):  # missing, or an older marker's text
        return None
    return record if isinstance(record, dict) else None


def _write_marker(path: Path, record: dict) -> None:
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(record, out)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
