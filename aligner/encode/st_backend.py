"""Any sentence-transformers model, run in float32 on the CPU or a CUDA GPU, never touching the network."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from aligner.encode.devices import DEVICES
from aligner.encode.digest import directory_digest
from aligner.errors import AlignerError


def torch_device(device: str) -> str:
    """``cpu`` or ``cuda`` for a ``--device`` choice: ``auto`` takes CUDA where torch sees a GPU."""
    import torch

    if device not in DEVICES:
        raise AlignerError(f"unknown device {device!r}: use {', '.join(DEVICES)}")
    available = torch.cuda.is_available()
    if device == "cuda" and not available:
        raise AlignerError("--device cuda, but torch sees no CUDA device (a CPU build of torch, or no GPU)")
    return "cuda" if device == "auto" and available else "cpu" if device == "auto" else device


class SentenceTransformerEncoder:
    """Wraps ``SentenceTransformer``; the model's default prompt (if any) is applied by it."""

    def __init__(
        self,
        name_or_path: str,
        name: str | None = None,
        batch_size: int = 32,
        fitted: str | None = None,
        weights: Callable[[], str] | None = None,
        device: str = "cpu",
    ) -> None:
        """``fitted`` names whose fitted values suit the model (default: the model's own name);
        ``weights`` returns the hash of its weights (default: of the model directory's files)."""
        path = Path(name_or_path).expanduser()
        local = path.exists()
        if not local and (path.is_absolute() or name_or_path.startswith((".", "~"))):
            raise AlignerError(f"model directory {str(path)!r} does not exist")
        if not local:
            # Read by huggingface_hub at import time: a hub name must come from the local cache,
            # and fail at once instead of retrying a network we do not have.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

        import transformers
        from sentence_transformers import SentenceTransformer

        # Loading bars and prompt notices would drown the CLI's own one-line messages.
        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        logging.getLogger("sentence_transformers").setLevel(logging.ERROR)

        where = torch_device(device)
        try:
            self._model = SentenceTransformer(
                str(path) if local else name_or_path,
                device=where,
                local_files_only=True,  # also holds if huggingface_hub was imported before us
            )
        except Exception as exc:  # the loaders raise OSError, ValueError, hub errors, ...
            reason = next(iter(str(exc).strip().splitlines()), type(exc).__name__)
            if local:
                raise AlignerError(
                    f"{str(path)!r} is not a sentence-transformers or transformers model directory ({reason})"
                ) from exc
            raise AlignerError(
                f"model {name_or_path!r} is not available offline; download it on a machine with "
                f"network access and use a local directory: --model st:/path/to/model_dir"
            ) from exc
        # transformers 5 keeps a checkpoint's own dtype, often fp16: several times slower on CPU.
        self._model.float()
        self.batch_size = batch_size
        # a hub name's files sit in the hub's cache, where their hash cannot be told apart
        self._weights = weights or (lambda: directory_digest(path) if local else "unknown")
        self.name = name or f"st:{path.resolve() if local else name_or_path}"
        dimension = getattr(self._model, "get_embedding_dimension", None)
        self.dim = int((dimension or self._model.get_sentence_embedding_dimension)())
        self.fitted = fitted or (path.resolve().name if local else name_or_path.rstrip("/").split("/")[-1])

    @cached_property
    def weights(self) -> str:
        return self._weights()

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        if not sentences:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(sentences),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(sentences), self.dim)
