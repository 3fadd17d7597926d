"""Lexical evidence learned from the input itself: a word translation table, and from it a
vector per sentence whose cosine says how many of two sentences' words translate each other.

As hunalign and Bleualign do, the table is bootstrapped: a first alignment pass finds
confident matches, IBM Model 1 is learned on them in both directions, and the second pass sees
each bead's lexical similarity as a feature of its own (``aligner.pairwise.dp``). Words are
lower-cased and cut to their first ``STEM`` characters (a cheap stemmer that works in any
language with spaces); Chinese and Japanese are read a character at a time; numbers are kept
whole. A string that both languages use (a number, a name) also counts as its own translation,
which anchors scripts that share nothing else.

A sentence's vector lives in the joint space of both vocabularies: a source sentence holds its
words translated into the target vocabulary and its own words; a target sentence its own words
and its words translated back. So the cosine counts translations in both directions. Words are
weighted by rarity, and the vector is hashed down to ``LexicalSettings.dims`` dimensions (the
signed hashing of Weinberger et al., which keeps dot products on average) so that the DP can
add and compare spans of sentences as it does sentence vectors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from aligner.errors import AlignerError
from aligner.similarity import unit_rows

STEM = 5
"""Characters of a word kept: enough to tell most words apart, few enough to merge inflections."""

_TOKEN = re.compile(
    r"\d+(?:[.,:]\d+)*"  # a number, with its separators
    r"|[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"  # a Han character or kana
    r"|[^\W\d_]+"  # a word
)
_NON_DIGIT = re.compile(r"\D")

NULL = "\x00"
"""The empty word of Model 1: what a word translates to when nothing on the other side does."""

MAX_COOCCURRENCES = 10_000_000
"""Word pairs Model 1 counts at most (about 100 bytes each): past it, it learns from every
second (third, ...) example, so that paragraph-long examples stay within memory."""

DICTIONARY_SHARE = 0.5
"""A word listed in a user's dictionary translates to its listed translations with at least
this probability (all of it where the input taught nothing about the word)."""

ITERATIONS = 5
"""EM iterations of Model 1: the table settles within a few."""

MIN_TRANSLATION = 0.05
"""Translation probabilities below this are dropped: they are mostly noise of rare words."""

ANCHOR_SHARE = 0.5
"""A number used by both languages translates to itself with at least this probability."""


@lru_cache(maxsize=1 << 17)
def tokens(sentence: str) -> tuple[str, ...]:
    """The words of ``sentence`` as the lexicon sees them (see the module's description);
    remembered, since learning a lexicon and using it read the same sentences."""
    # a number is matched by its first alternative, of decimal digits only: footnote marks such
    # as ¹ are word characters that are not decimal, and stay words
    return tuple(
        _NON_DIGIT.sub("", word) if word[0].isdecimal() else word[:STEM]
        for word in _TOKEN.findall(sentence.lower())
    )


@dataclass(frozen=True)
class Lexicon:
    """A word translation table between a source and a target language."""

    src_vocab: dict[str, int]
    tgt_vocab: dict[str, int]
    forward: dict[int, tuple[np.ndarray, np.ndarray]]
    """Per source word id, the target word ids it translates into and their probabilities."""
    backward: dict[int, tuple[np.ndarray, np.ndarray]]
    """Per target word id, the source word ids and probabilities."""
    src_weight: np.ndarray
    """Per source word id, its rarity: the log of the inverse share of sentences holding it."""
    tgt_weight: np.ndarray

    def reversed(self) -> Lexicon:
        """The same table read from the target language to the source one."""
        return Lexicon(
            self.tgt_vocab, self.src_vocab, self.backward, self.forward, self.tgt_weight, self.src_weight
        )

    def translation(self, src_word: str, top: int = 5) -> list[tuple[str, float]]:
        """The likeliest translations of a source word (as ``tokens`` writes it), for inspection."""
        ids, probs = self.forward.get(self.src_vocab.get(src_word, -1), ((), ()))
        names = {i: w for w, i in self.tgt_vocab.items()}
        ranked = sorted(zip(ids, probs, strict=True), key=lambda pair: -pair[1])[:top]
        return [(names[int(i)], float(p)) for i, p in ranked]


def _vocabulary(sentences: Iterable[list[str]]) -> dict[str, int]:
    return {word: k for k, word in enumerate(sorted({w for words in sentences for w in words}))}


def _rarity(sentences: Sequence[list[str]], vocab: dict[str, int]) -> np.ndarray:
    counts = np.zeros(len(vocab))
    for words in sentences:
        for word in set(words):
            counts[vocab[word]] += 1
    return np.log((len(sentences) + 1) / (counts + 1)) + 1.0


def _model1(
    pairs: Sequence[tuple[np.ndarray, np.ndarray]], n_src: int, n_tgt: int
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """IBM Model 1's ``t(target | source)`` by EM over ``pairs`` of word id arrays; source id
    ``n_src`` is the empty word. Only word pairs that co-occur have a probability, so the
    table is as sparse as the data, and every EM step is a few passes over the co-occurrences."""
    cooccurrences = sum((len(src) + 1) * len(tgt) for src, tgt in pairs)
    pairs = pairs[:: -(-cooccurrences // MAX_COOCCURRENCES) or 1]  # evenly spaced, within the cap
    # Every (source word or the empty word, target word) of every pair, target word by target
    # word, and in ``where`` the target word's number over all pairs: built in whole-array steps,
    # since a few numpy calls per pair cost more than Model 1 itself on a short document.
    src_lengths = np.array([len(src) + 1 for src, _ in pairs], dtype=np.int64)
    tgt_lengths = np.array([len(tgt) for _, tgt in pairs], dtype=np.int64)
    if not tgt_lengths.sum():
        return {}
    sources = np.insert(np.concatenate([src for src, _ in pairs]), np.cumsum(src_lengths - 1), n_src)
    targets = np.concatenate([tgt for _, tgt in pairs])
    src_starts, tgt_starts = np.cumsum(src_lengths) - src_lengths, np.cumsum(tgt_lengths) - tgt_lengths
    block_sizes = src_lengths * tgt_lengths  # a pair's co-occurrences
    block_starts = np.cumsum(block_sizes) - block_sizes
    in_block = np.arange(block_sizes.sum()) - np.repeat(block_starts, block_sizes)
    pair_src_length = np.repeat(src_lengths, block_sizes)
    src_all = sources[np.repeat(src_starts, block_sizes) + in_block % pair_src_length]
    where = np.repeat(tgt_starts, block_sizes) + in_block // pair_src_length
    tgt_all = targets[where]
    types, occurrence = np.unique(src_all.astype(np.int64) * n_tgt + tgt_all, return_inverse=True)
    type_src, type_tgt = types // n_tgt, types % n_tgt
    prob = np.ones(len(types))
    for _ in range(ITERATIONS):
        values = prob[occurrence]
        posterior = values / np.bincount(where, values)[where]
        counts = np.bincount(occurrence, posterior, minlength=len(types))
        prob = counts / np.bincount(type_src, counts, minlength=n_src + 1)[type_src]
    keep = (prob >= MIN_TRANSLATION) & (type_src < n_src)
    order = np.argsort(type_src[keep], kind="stable")
    kept_src, kept_tgt, kept_prob = type_src[keep][order], type_tgt[keep][order], prob[keep][order]
    if not len(kept_src):
        return {}
    starts = np.flatnonzero(np.r_[True, np.diff(kept_src) != 0])  # each source word's first entry
    ends = np.r_[starts[1:], len(kept_src)]
    return {
        source: (kept_tgt[start:end], kept_prob[start:end])
        for source, start, end in zip(kept_src[starts].tolist(), starts.tolist(), ends.tolist(), strict=True)
    }


def _anchored(
    table: dict[int, tuple[np.ndarray, np.ndarray]], own: dict[str, int], other: dict[str, int]
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """``table`` with strings that both languages use as anchors: a number translates to itself
    with at least ``ANCHOR_SHARE`` of the probability, and a word the first pass taught nothing
    about (a name met once) translates to itself alone."""
    out = dict(table)
    for word, k in own.items():
        if (j := other.get(word)) is None:
            continue
        if k not in table:
            out[k] = (np.array([j]), np.array([1.0]))
        elif word[0].isdecimal():
            ids, probs = table[k]
            probs = probs * (1.0 - ANCHOR_SHARE)
            if (hit := np.flatnonzero(ids == j)).size:
                probs[hit[0]] += ANCHOR_SHARE
            else:
                ids, probs = np.r_[ids, j], np.r_[probs, ANCHOR_SHARE]
            out[k] = (ids, probs)
    return out


def _with_dictionary(
    table: dict[int, tuple[np.ndarray, np.ndarray]],
    entries: Sequence[tuple[tuple[str, ...], tuple[str, ...]]],
    own: dict[str, int],
    other: dict[str, int],
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """``table`` where each word of a dictionary entry's own side translates to the words of its
    other side with ``DICTIONARY_SHARE`` of the probability, shared evenly (a phrase's words
    each to each)."""
    listed: dict[int, set[int]] = {}
    for own_words, other_words in entries:
        for word in own_words:
            listed.setdefault(own[word], set()).update(other[w] for w in other_words)
    out = dict(table)
    for k, targets in listed.items():
        if not targets:
            continue
        ids, probs = table.get(k, (np.zeros(0, dtype=np.int64), np.zeros(0)))
        share = DICTIONARY_SHARE if len(ids) else 1.0
        merged: dict[int, float] = {int(i): float(p) * (1.0 - share) for i, p in zip(ids, probs, strict=True)}
        for j in targets:
            merged[j] = merged.get(j, 0.0) + share / len(targets)
        out[k] = (np.array(list(merged), dtype=np.int64), np.array(list(merged.values())))
    return out


def read_dictionary(path: Path | str) -> list[tuple[str, str]]:
    """The (source, target) entries of a bilingual dictionary in hunalign's format: one entry a
    line, ``target phrase @ source phrase``; blank lines are skipped."""
    path = Path(path)
    entries = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise AlignerError(
            f"cannot read dictionary {path}: {getattr(err, 'strerror', None) or err}"
        ) from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        target, separator, source = line.partition(" @ ")
        if not separator or not target.strip() or not source.strip():
            raise AlignerError(
                f"{path}, line {number}: a dictionary entry is 'target phrase @ source phrase' "
                f"(hunalign's format), got {line.strip()[:60]!r}"
            )
        entries.append((source.strip(), target.strip()))
    return entries


def learn_lexicon(
    examples: Sequence[tuple[str, str]],
    vocabulary: Iterable[tuple[str, str]] = (),
    dictionary: Sequence[tuple[str, str]] = (),
) -> Lexicon:
    """A lexicon from sentence pairs that translate each other (``examples``); the words of
    ``vocabulary``'s sentence pairs (those to be aligned) join the vocabularies and their
    rarity, so that every word met later has an id and a weight. ``dictionary`` holds
    (source, target) entries of a bilingual dictionary (``read_dictionary``), whose words
    translate each other with at least ``DICTIONARY_SHARE`` of the probability."""
    src_sentences = [tokens(src) for src, _ in examples]
    tgt_sentences = [tokens(tgt) for _, tgt in examples]
    extra = list(vocabulary)
    src_extra = [tokens(src) for src, _ in extra]
    tgt_extra = [tokens(tgt) for _, tgt in extra]
    entries = [(tokens(src), tokens(tgt)) for src, tgt in dictionary]
    src_vocab = _vocabulary(src_sentences + src_extra + [words for words, _ in entries])
    tgt_vocab = _vocabulary(tgt_sentences + tgt_extra + [words for _, words in entries])
    src_ids = [np.array([src_vocab[w] for w in words], dtype=np.int64) for words in src_sentences]
    tgt_ids = [np.array([tgt_vocab[w] for w in words], dtype=np.int64) for words in tgt_sentences]
    n_src, n_tgt = len(src_vocab), len(tgt_vocab)
    forward = _model1(list(zip(src_ids, tgt_ids, strict=True)), n_src, max(n_tgt, 1))
    backward = _model1(list(zip(tgt_ids, src_ids, strict=True)), n_tgt, max(n_src, 1))
    forward = _with_dictionary(forward, [(a, b) for a, b in entries], src_vocab, tgt_vocab)
    backward = _with_dictionary(backward, [(b, a) for a, b in entries], tgt_vocab, src_vocab)
    return Lexicon(
        src_vocab,
        tgt_vocab,
        _anchored(forward, src_vocab, tgt_vocab),
        _anchored(backward, tgt_vocab, src_vocab),
        _rarity(src_sentences + src_extra, src_vocab),
        _rarity(tgt_sentences + tgt_extra, tgt_vocab),
    )


def _hashing(size: int, offset: int, dims: int):  # -> scipy.sparse.csr_matrix
    """The ``(size, dims)`` signed hashing of ids ``offset .. offset + size - 1`` of the joint
    space: each id to one bucket, with a sign, fixed by the id alone so that both sides agree."""
    from scipy import sparse

    ids = np.arange(offset, offset + size, dtype=np.uint64)
    mixed = ids * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x632BE59BD9B4E019)
    mixed ^= mixed >> np.uint64(31)
    mixed *= np.uint64(0xBF58476D1CE4E5B9)
    mixed ^= mixed >> np.uint64(29)
    buckets = (mixed % np.uint64(dims)).astype(np.int64)
    signs = np.where((mixed >> np.uint64(40)) & np.uint64(1), 1.0, -1.0)
    return sparse.csr_matrix((signs, (np.arange(size), buckets)), shape=(size, dims))


def _table_matrix(table: dict[int, tuple[np.ndarray, np.ndarray]], rows: int, columns: int):
    from scipy import sparse

    if not table:
        return sparse.csr_matrix((rows, columns))
    words = np.repeat(list(table), [len(ids) for ids, _ in table.values()])
    ids = np.concatenate([ids for ids, _ in table.values()])
    probs = np.concatenate([probs for _, probs in table.values()])
    return sparse.csr_matrix((probs, (words, ids)), shape=(rows, columns))


def _side_vectors(
    sentences: Sequence[str],
    vocab: dict[str, int],
    weight: np.ndarray,
    table: dict[int, tuple[np.ndarray, np.ndarray]],
    own_offset: int,
    other_offset: int,
    other_size: int,
    dims: int,
) -> np.ndarray:
    from scipy import sparse

    rows, columns = [], []
    for row, sentence in enumerate(sentences):
        for word in tokens(sentence):
            if (k := vocab.get(word)) is not None:
                rows.append(row)
                columns.append(k)
    words = sparse.csr_matrix((weight[columns], (rows, columns)), shape=(len(sentences), len(vocab)))
    translated = words @ _table_matrix(table, len(vocab), other_size)
    hashed = words @ _hashing(len(vocab), own_offset, dims) + translated @ _hashing(
        other_size, other_offset, dims
    )
    out = np.asarray(hashed.todense() if sparse.issparse(hashed) else hashed, dtype=np.float64)
    return unit_rows(out).astype(np.float32)


def lexical_vectors(
    lexicon: Lexicon, src: Sequence[str], tgt: Sequence[str], dims: int
) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors of ``dims`` dimensions for the source and target sentences, whose dot
    products measure the words they share through ``lexicon`` (a sentence with no known word
    gets a zero vector)."""
    n_src, n_tgt = len(lexicon.src_vocab), len(lexicon.tgt_vocab)
    # joint space: target vocabulary first, then the source vocabulary
    src_vectors = _side_vectors(
        src, lexicon.src_vocab, lexicon.src_weight, lexicon.forward, n_tgt, 0, n_tgt, dims
    )
    tgt_vectors = _side_vectors(
        tgt, lexicon.tgt_vocab, lexicon.tgt_weight, lexicon.backward, 0, n_tgt, n_src, dims
    )
    return src_vectors, tgt_vectors


def lexical_vectors_by_language(
    lexicon: Lexicon, langs: tuple[str, str], src: Sequence[str], tgt: Sequence[str], dims: int
) -> tuple[np.ndarray, np.ndarray]:
    """``lexical_vectors`` of source and target sentences in ``langs``, laid out by the
    languages (the vocabulary of the one whose code sorts last first) rather than by which is
    the source, so that aligning A with B is the mirror of B with A: which words share a
    bucket depends on the layout."""
    if langs[0] <= langs[1]:
        return lexical_vectors(lexicon, src, tgt, dims)
    tgt_vectors, src_vectors = lexical_vectors(lexicon.reversed(), tgt, src, dims)
    return src_vectors, tgt_vectors


MIN_EXAMPLES = 20
"""Fewer confident matches than this teach a lexicon nothing to rely on: no lexical pass."""


def learn_lexicons(
    examples: Mapping[tuple[str, str], Sequence[tuple[str, str]]],
    vocabulary: Mapping[tuple[str, str], Sequence[tuple[str, str]]],
    max_examples: int,
    dictionaries: Mapping[tuple[str, str], Sequence[tuple[str, str]]] | None = None,
) -> dict[tuple[str, str], Lexicon]:
    """A lexicon per language pair from its ``examples`` (sentence pairs that translate each
    other, at most ``max_examples`` of them, evenly spaced), with the words of ``vocabulary``
    (the pair's sentences to align; see ``learn_lexicon``) and the pair's dictionary from
    ``dictionaries`` (keyed by language pair either way round), if any. Pairs with fewer than
    ``MIN_EXAMPLES`` examples and no dictionary get none."""
    out = {}
    for (src_lang, tgt_lang), pairs in examples.items():
        dictionary = dictionary_for(dictionaries or {}, src_lang, tgt_lang)
        if len(pairs) < MIN_EXAMPLES and not dictionary:
            continue
        if len(pairs) > max_examples:
            pairs = [pairs[k] for k in np.linspace(0, len(pairs) - 1, max_examples).astype(int)]
        out[src_lang, tgt_lang] = learn_lexicon(pairs, vocabulary.get((src_lang, tgt_lang), ()), dictionary)
    return out


def dictionary_for(
    dictionaries: Mapping[tuple[str, str], Sequence[tuple[str, str]]], src_lang: str, tgt_lang: str
) -> list[tuple[str, str]]:
    """The (source, target) entries for ``src_lang`` to ``tgt_lang``, from a dictionary given
    either way round; none if there is none."""
    if (src_lang, tgt_lang) in dictionaries:
        return list(dictionaries[src_lang, tgt_lang])
    return [(target, source) for source, target in dictionaries.get((tgt_lang, src_lang), ())]


def lexicon_for(lexicons: Mapping[tuple[str, str], Lexicon], src_lang: str, tgt_lang: str) -> Lexicon | None:
    """The lexicon from ``src_lang`` to ``tgt_lang``, read either way round; None if there is none."""
    if (lexicon := lexicons.get((src_lang, tgt_lang))) is not None:
        return lexicon
    if (lexicon := lexicons.get((tgt_lang, src_lang))) is not None:
        return lexicon.reversed()
    return None
