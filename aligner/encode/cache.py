"""Embedding caches keyed by model and sentence text: a persistent one, and one in memory for a
run that keeps nothing.

SQLite gives atomic, crash-safe writes for free: an interrupted run loses at most the
batch it was writing, never corrupts earlier entries. What cannot be trusted is recomputed:
an entry whose checksum (of its key and its bytes) does not match, or that is not a finite unit
vector of the model's size, and a file that is not a database, or whose pages SQLite finds
damaged (it is replaced). Only a directory that cannot hold the cache is an error; once open,
failing to read or write is a warning, and the vectors are computed instead.
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

import numpy as np

from aligner.errors import AlignerError


class VectorCache(Protocol):
    """Where ``aligner.encode.encode`` finds vectors it has computed before, and keeps new ones."""

    def get_many(self, model: str, dim: int, texts: Iterable[str]) -> dict[str, np.ndarray]: ...

    def put_many(self, model: str, vectors: Mapping[str, np.ndarray]) -> None: ...


def _key(model: str, text: str) -> str:
    return hashlib.blake2b(f"{model}\x00{text}".encode(), digest_size=20).hexdigest()


CHECKSUM_BYTES = 8
"""Bytes of BLAKE2b over an entry's key and vector stored after the vector: damage that keeps a
unit norm (flipped signs, a neighbour's vector written in its place) shows there."""


def _checksum(key: str, vector_bytes: bytes) -> bytes:
    return hashlib.blake2b(key.encode() + vector_bytes, digest_size=CHECKSUM_BYTES).digest()


def _stored(key: str, vector: np.ndarray) -> bytes:
    data = np.asarray(vector, dtype=np.float32).tobytes()
    return data + _checksum(key, data)


def _vector(key: str, blob: bytes, dim: int) -> np.ndarray | None:
    """The vector of an entry, or None where it is not what was stored for ``key`` (an entry
    of an older cache, without its checksum, is recomputed too)."""
    if len(blob) != 4 * dim + CHECKSUM_BYTES:
        return None
    data, checksum = blob[: 4 * dim], blob[4 * dim :]
    if _checksum(key, data) != checksum:
        return None
    vector = np.frombuffer(data, dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        # encoders return unit vectors: a vector stored wrong from the start shows a wrong norm
        unit = bool(np.isfinite(vector).all()) and abs(float(vector @ vector) - 1.0) < 1e-2
    return vector if unit else None


def _damaged(err: sqlite3.DatabaseError) -> bool:
    # sqlite_errorname is Python 3.11+; the messages are SQLite's own for the same two codes.
    return getattr(err, "sqlite_errorname", None) in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or str(err) in (
        "file is not a database",
        "database disk image is malformed",
    )


class EmbeddingCache:
    """Vectors stored as float32 bytes and a checksum; an entry that does not check out is
    ignored and recomputed, and a database found damaged is replaced."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "embeddings.sqlite3"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            try:
                self._db = self._open()
            except sqlite3.DatabaseError as err:
                if not _damaged(err):
                    raise
                self._db = self._replaced(err, stacklevel=3)
        except (OSError, sqlite3.Error) as err:
            raise AlignerError(f"cannot use cache directory {directory}: {err}") from None

    def _replaced(self, err: sqlite3.DatabaseError, stacklevel: int) -> sqlite3.Connection:
        """A new database in place of a damaged one (its vectors are computed again)."""
        message = f"embedding cache {self.path} is damaged ({err}); starting a new one"
        warnings.warn(message, stacklevel=stacklevel)
        if getattr(self, "_db", None) is not None:
            self._db.close()
        # The journals go too: SQLite would replay a stale one into the new database.
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        return self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path)
        try:
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        except sqlite3.Error:
            db.close()
            raise
        return db

    def get_many(self, model: str, dim: int, texts: Iterable[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        by_key = {_key(model, t): t for t in texts}
        keys = list(by_key)
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                rows = self._db.execute(
                    f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(chunk))})", chunk
                )
                for key, blob in rows:
                    if (vector := _vector(key, blob, dim)) is not None:
                        found[by_key[key]] = vector
        except sqlite3.Error as err:
            self._failed(err, "cannot read embedding cache {path} ({err}); recomputing")
            return {}
        return found

    def put_many(self, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        rows = [(key, _stored(key, v)) for key, v in ((_key(model, t), v) for t, v in vectors.items())]
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
        except sqlite3.Error as err:
            self._failed(err, "cannot write embedding cache {path} ({err}); not caching")

    def _failed(self, err: sqlite3.Error, message: str) -> None:
        """Warn that the cache failed; where SQLite found its pages damaged, replace it, so that
        the next read or write works again rather than failing at every run."""
        if isinstance(err, sqlite3.DatabaseError) and _damaged(err):
            try:
                self._db = self._replaced(err, stacklevel=4)
                return
            except (OSError, sqlite3.Error) as again:
                err = again
        warnings.warn(message.format(path=self.path, err=err), stacklevel=3)


RECENT_BYTES = 64 << 20
"""Bytes ``RecentVectors`` holds, its vectors and texts: tens of thousands of sentences, a small
share of an encoding worker's memory."""


class RecentVectors:
    """The vectors computed last, in memory, up to ``max_bytes`` (the least recently used go
    first): a batch run without the persistent cache encodes a sentence that its document sets
    repeat (a site's boilerplate, a subtitle's "Thank you.") once, not once a call."""

    def __init__(self, max_bytes: int = RECENT_BYTES) -> None:
        self.max_bytes, self.size = max_bytes, 0
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()

    def get_many(self, model: str, dim: int, texts: Iterable[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for text in texts:
            if (vector := self._vectors.get((model, text))) is not None and vector.shape == (dim,):
                self._vectors.move_to_end((model, text))
                found[text] = vector
        return found

    def put_many(self, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        for text, vector in vectors.items():
            kept = np.array(vector, dtype=np.float32)  # a copy: not a view that holds its whole batch
            kept.flags.writeable = False  # shared by every call that finds it
            if (old := self._vectors.pop((model, text), None)) is not None:
                self.size -= _entry_bytes(text, old)
            self._vectors[model, text] = kept
            self.size += _entry_bytes(text, kept)
        while self.size > self.max_bytes:
            (_, text), vector = self._vectors.popitem(last=False)
            self.size -= _entry_bytes(text, vector)


def _entry_bytes(text: str, vector: np.ndarray) -> int:
    return vector.nbytes + sys.getsizeof(text)
