"""Embedding caches keyed by model and sentence text: a persistent one, and one in memory for a
run that keeps nothing.

SQLite gives atomic, crash-safe writes for free: an interrupted run loses at most the
batch it was writing, never corrupts earlier entries. What cannot be trusted is recomputed:
an entry that is not a finite unit vector of the model's size, and a file that is not a
database at all (it is replaced). Only a directory that cannot hold the cache is an error;
once open, failing to read or write is a warning, and the vectors are computed instead.
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


def _valid(vector: np.ndarray) -> bool:
    # Encoders return unit vectors, so a damaged blob of the right size shows as a wrong norm.
    return bool(np.isfinite(vector).all()) and abs(float(vector @ vector) - 1.0) < 1e-2


def _damaged(err: sqlite3.DatabaseError) -> bool:
    # sqlite_errorname is Python 3.11+; the messages are SQLite's own for the same two codes.
    return getattr(err, "sqlite_errorname", None) in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or str(err) in (
        "file is not a database",
        "database disk image is malformed",
    )


class EmbeddingCache:
    """Vectors stored as float32 bytes; entries of the wrong size or norm are ignored and recomputed."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "embeddings.sqlite3"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            try:
                self._db = self._open()
            except sqlite3.DatabaseError as err:
                if not _damaged(err):
                    raise
                warnings.warn(
                    f"embedding cache {self.path} is damaged ({err}); starting a new one", stacklevel=2
                )
                # The journals go too: SQLite would replay a stale one into the new database.
                for suffix in ("", "-journal", "-wal", "-shm"):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
                self._db = self._open()
        except (OSError, sqlite3.Error) as err:
            raise AlignerError(f"cannot use cache directory {directory}: {err}") from None

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
                    if len(blob) == 4 * dim and _valid(vector := np.frombuffer(blob, dtype=np.float32)):
                        found[by_key[key]] = vector
        except sqlite3.Error as err:
            warnings.warn(f"cannot read embedding cache {self.path} ({err}); recomputing", stacklevel=2)
        return found

    def put_many(self, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        rows = [(_key(model, t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in vectors.items()]
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
        except sqlite3.Error as err:
            warnings.warn(f"cannot write embedding cache {self.path} ({err}); not caching", stacklevel=2)


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
