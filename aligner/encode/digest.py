"""Short content hashes of model weights, for the provenance of results."""

from __future__ import annotations

import hashlib
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


WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".onnx")


def directory_digest(directory: Path) -> str:
    """``file_digest`` of the weight files anywhere under a model directory, by relative path."""
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix in WEIGHT_SUFFIXES)
    return file_digest(files) if files else "unknown"
