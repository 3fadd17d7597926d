import numpy as np
import pytest

from aligner.encode import encode, load_encoder, member_names
from aligner.encode.cache import EmbeddingCache
from aligner.encode.combined import CombinedEncoder
from aligner.errors import AlignerError
from tests.encode.test_encode import CountingEncoder


class Covering(CountingEncoder):
    def __init__(self, name: str, languages: frozenset[str] | None) -> None:
        super().__init__(name)
        self.languages = languages


def test_the_cosine_of_joined_vectors_mixes_the_members_cosines_by_their_shares(tmp_path):
    one, two = CountingEncoder("one"), CountingEncoder("two")
    combined = CombinedEncoder([one, two], [3.0, 1.0])
    vectors = encode(["a", "b"], combined, EmbeddingCache(tmp_path))
    assert vectors.shape == (2, 16)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    a, b = (encode(["a", "b"], member) for member in (one, two))
    assert vectors[0] @ vectors[1] == pytest.approx(0.75 * (a[0] @ a[1]) + 0.25 * (b[0] @ b[1]), abs=1e-6)


def test_each_member_is_cached_on_its_own(tmp_path):
    one, two = CountingEncoder("one"), CountingEncoder("two")
    encode(["a"], CombinedEncoder([one, two], [1, 1]), EmbeddingCache(tmp_path))
    three = CountingEncoder("three")
    encode(["a"], CombinedEncoder([one, three], [1, 1]), EmbeddingCache(tmp_path))
    assert one.seen == ["a"] and two.seen == ["a"] and three.seen == ["a"]


def test_a_member_that_does_not_cover_a_language_drops_out():
    wide, narrow = Covering("wide", None), Covering("narrow", frozenset({"en", "fr"}))
    third = Covering("third", frozenset({"en", "fr", "zh"}))
    combined = CombinedEncoder([wide, narrow, third], [2.0, 1.0, 1.0])
    assert combined.covering(["en", "fr-CA"]) is combined
    assert combined.covering(["en", "id"]) is wide
    kept = combined.covering(["en", "zh"])
    assert [m.name for m in kept.members] == ["wide", "third"]
    assert kept.shares == pytest.approx((2 / 3, 1 / 3))
    assert kept.fitted == "wide+third"
    with pytest.raises(AlignerError, match="covers all of"):
        CombinedEncoder([narrow, third], [1, 1]).covering(["id"])


def test_model_names_of_combinations():
    assert member_names("e5-small+use") == ["e5-small", "use"]
    assert member_names("use+st:/models/a+b") == ["use", "st:/models/a+b"]
    combined = load_encoder("e5-small+use")
    assert combined.fitted == "e5-small+use" and combined.dim == 384 + 512
    assert not any(member.loaded for member in combined.members)
    with pytest.raises(AlignerError, match="twice"):
        load_encoder("use+use")
    with pytest.raises(AlignerError, match="unknown model 'laser'"):
        load_encoder("e5-small+laser")


def test_use_embeds_translations_close_and_declares_its_languages():
    use = load_encoder("use")
    sentences = ["The cat sleeps on the sofa.", "Le chat dort sur le canapé.", "Stock prices fell."]
    vectors = encode(sentences, use)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert "fr" in use.languages and "id" not in use.languages
