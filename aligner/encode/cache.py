"""A persistent embedding cache keyed by model and sentence text.

SQLite gives atomic, crash-safe writes for free: an interrupted run loses at most the
batch it was writing, never corrupts earlier entries.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from aligner.errors import AlignerError


def _key(model: str, text: str) -> str:
    return hashlib.blake2b(f"{model}\x00{text}".encode(), digest_size=20).hexdigest()


class EmbeddingCache:
    """Vectors stored as float32 bytes; entries of the wrong size are ignored and recomputed."""

    def __init__(self, directory: Path) -> None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(directory / "embeddings.sqlite3")
            self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        except (OSError, sqlite3.Error) as err:
            raise AlignerError(f"cannot use cache directory {directory}: {err}") from None

    def get_many(self, model: str, dim: int, texts: Iterable[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        by_key = {_key(model, t): t for t in texts}
        keys = list(by_key)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = self._db.execute(
                f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(chunk))})", chunk
            )
            for key, blob in rows:
                if len(blob) == 4 * dim:
                    found[by_key[key]] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        rows = [(_key(model, t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in vectors.items()]
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
        except sqlite3.Error as err:
            raise AlignerError(f"cannot write embedding cache: {err}") from None
