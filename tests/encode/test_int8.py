"""e5-small in int8 on CTranslate2: converted once, close to float32, rebuilt when damaged."""

import numpy as np
import pytest

from aligner.encode import default_cache_dir, encode, load_encoder

pytest.importorskip("ctranslate2")

SENTENCES = [
    "Die Gipfelhütte liegt auf 3'200 Metern.",
    "La cabane du sommet se trouve à 3200 mètres.",
    "神说要有光就有了光。",
    "Kecerdasan buatan mengubah cara kita bekerja.",
    "",
]


def test_int8_vectors_are_within_a_cosine_of_float32s():
    int8 = encode(SENTENCES, load_encoder("e5-small-int8"))
    float32 = encode(SENTENCES, load_encoder("e5-small-float32"))
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    assert np.einsum("ij,ij->i", int8, float32).min() >= 0.995


def test_a_damaged_copy_is_converted_again():
    from aligner.encode.ct2_backend import Ct2Encoder, converted_dir

    directory = converted_dir(default_cache_dir())
    before = Ct2Encoder(default_cache_dir()).encode(SENTENCES)
    weights = directory / "model.bin"
    with open(weights, "r+b") as handle:  # damage that keeps the size and the file loadable
        handle.seek(weights.stat().st_size // 2)
        handle.write(bytes(4096))
    with pytest.warns(UserWarning, match="converting the default model to int8 once.*changed since it was"):
        encoder = Ct2Encoder(default_cache_dir())
    assert np.array_equal(encoder.encode(SENTENCES), before)
    weights.write_bytes(b"not a model")
    with pytest.warns(UserWarning, match="converting the default model to int8 once"):
        encoder = Ct2Encoder(default_cache_dir())
    assert encoder.encode(["Hallo."]).shape == (1, 384)


def test_the_int8_model_names_its_runtime_and_shares_e5_smalls_fitted_values():
    encoder = load_encoder("e5-small-int8")
    assert encoder.name.startswith("e5-small@ct2-int8-") and encoder.fitted == "e5-small"
    assert not encoder.loaded


def test_the_default_model_runs_in_int8_on_a_cpu_and_in_float32_without_ctranslate2(monkeypatch):
    import importlib.util

    assert load_encoder("e5-small", device="cpu").name == load_encoder("e5-small-int8").name
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ctranslate2" else find_spec(name, *a)
    )
    assert load_encoder("e5-small", device="cpu").name == "e5-small@st"


def test_batches_run_side_by_side_and_give_the_vectors_of_one_at_a_time():
    from aligner.encode.ct2_backend import Ct2Encoder

    encoder = Ct2Encoder(default_cache_dir())
    texts = [f"Satz Nummer {k}, " + "und so weiter " * (k % 7) for k in range(40)]
    together = encoder.encode(texts)
    alone = np.vstack([encoder.encode([text]) for text in texts])
    assert np.einsum("ij,ij->i", together, alone).min() > 0.9999
