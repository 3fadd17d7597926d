import numpy as np
import pytest

from aligner.lexical import learn_lexicon, lexical_vectors, lexicon_for, tokens

NUMBERS = ["one", "two", "three", "four", "five", "six"]
NOMBRES = ["un", "deux", "trois", "quatre", "cinq", "six"]
THINGS = [("cat", "chat"), ("dog", "chien"), ("house", "maison"), ("tree", "arbre"), ("river", "fleuve")]


def toy_corpus(rng: np.random.Generator, size: int) -> list[tuple[str, str]]:
    """Sentences of two to four word pairs, each language in its own order."""
    vocabulary = list(zip(NUMBERS, NOMBRES, strict=True)) + THINGS
    out = []
    for _ in range(size):
        words = [vocabulary[k] for k in rng.choice(len(vocabulary), size=rng.integers(2, 5), replace=False)]
        out.append((" ".join(w for w, _ in words), " ".join(w for _, w in reversed(words))))
    return out


def test_tokens_cut_words_keep_numbers_and_split_chinese_characters():
    assert tokens("Die Gipfelhütte, 1'200 m, kostete 3,50 Fr.") == (
        "die", "gipfe", "1", "200", "m", "koste", "350", "fr",
    )  # fmt: skip
    assert tokens("神说要有光 Genesis 1:3") == ("神", "说", "要", "有", "光", "genes", "13")


def test_model_1_learns_word_translations_from_sentence_pairs():
    lexicon = learn_lexicon(toy_corpus(np.random.default_rng(0), 300))
    for english, french in [*zip(NUMBERS, NOMBRES, strict=True), *THINGS]:
        best, probability = lexicon.translation(english[:5])[0]
        assert best == french[:5] and probability > 0.8
    assert lexicon.reversed().translation("chien")[0][0] == "dog"


def test_lexical_vectors_are_closest_for_translations():
    rng = np.random.default_rng(1)
    lexicon = learn_lexicon(toy_corpus(rng, 300))
    test = toy_corpus(rng, 20)
    src, tgt = lexical_vectors(lexicon, [s for s, _ in test], [t for _, t in test], 256)
    similarity = src @ tgt.T
    assert (np.argmax(similarity, axis=1) == np.arange(20)).mean() >= 0.9
    assert np.allclose(np.linalg.norm(src, axis=1), 1.0, atol=1e-5)


def test_shared_numbers_and_unknown_names_are_anchors():
    lexicon = learn_lexicon([("the cat", "le chat")] * 5, vocabulary=[("Moses was 120", "摩西 120 岁")])
    assert lexicon.translation("120") == [("120", 1.0)]
    src, tgt = lexical_vectors(lexicon, ["He was 120."], ["他 120 岁", "他 80 岁"], 64)
    assert src[0] @ tgt[0] > src[0] @ tgt[1]


def test_a_lexicon_is_found_either_way_round():
    lexicon = learn_lexicon([("the cat", "le chat")] * 5)
    assert lexicon_for({("en", "fr"): lexicon}, "en", "fr") is lexicon
    assert lexicon_for({("en", "fr"): lexicon}, "fr", "en").src_vocab == lexicon.tgt_vocab
    assert lexicon_for({("en", "fr"): lexicon}, "en", "de") is None


def test_footnote_marks_are_words_not_empty_numbers():
    assert tokens("Die Hütte.¹ ③ x²") == ("die", "hütte", "¹", "③", "x²")
    pairs = [(f"Satz {k}.¹", f"Phrase {k}.¹") for k in range(30)]
    lexicon = learn_lexicon(pairs, vocabulary=pairs)
    assert "" not in lexicon.src_vocab and "¹" in dict(lexicon.translation("¹"))


def test_a_dictionary_in_hunaligns_format_makes_a_lexicon_where_the_input_teaches_too_little(tmp_path):
    from aligner.lexical import dictionary_for, learn_lexicons, read_dictionary

    path = tmp_path / "en-fr.dic"
    path.write_text("chat @ cat\nchien @ dog\n\nmaison bleue @ blue house\n", encoding="utf-8")
    entries = read_dictionary(path)
    assert entries == [("cat", "chat"), ("dog", "chien"), ("blue house", "maison bleue")]
    assert read_dictionary(str(path)) == entries  # a path as a string too, as the README shows it
    assert dictionary_for({("en", "fr"): entries}, "fr", "en")[0] == ("chat", "cat")
    few = {("en", "fr"): [("the cat", "le chat")]}
    assert learn_lexicons(few, {}, 100) == {}
    lexicon = learn_lexicons(few, {}, 100, {("fr", "en"): [(t, s) for s, t in entries]})["en", "fr"]
    assert dict(lexicon.translation("dog")) == {"chien": 1.0}
    assert dict(lexicon.translation("blue")) == {"maiso": 0.5, "bleue": 0.5}
    # learned and listed translations share the probability
    assert 0.5 <= dict(lexicon.translation("cat"))["chat"] < 1.0


def test_a_dictionary_line_without_its_separator_is_a_one_line_error(tmp_path):
    from aligner.errors import AlignerError
    from aligner.lexical import read_dictionary

    path = tmp_path / "bad.dic"
    path.write_text("chat @ cat\nchien dog\n", encoding="utf-8")
    with pytest.raises(AlignerError, match=r"line 2: a dictionary entry is 'target phrase @ source phrase'"):
        read_dictionary(path)
