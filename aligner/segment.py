"""Segment stage: cleaned blocks to sentences, plus language detection."""

# ruff: noqa: RUF001  (full-width CJK punctuation in patterns is the point of this module)

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

import sentencex
from lingua import IsoCode639_1, LanguageDetector, LanguageDetectorBuilder

from aligner.clean import clean_text
from aligner.errors import AlignerError

# Languages written without spaces between words: sentences are joined with "" and end at full-width stops.
# Korean spaces its words, so it is not one of them here.
_CJK = {"zh", "ja", "yue", "wuu", "lzh", "cmn"}

_DETECTABLE = "id fr zh ja en de es pt it nl ru ko ar vi th ms tr pl uk cs sv da fi el he hi fa ro hu bg"

# A full stop after one of these never ends a sentence: titles, and words that precede a name or number.
_TITLE = re.compile(
    r"Mr|Mrs|Ms|Messrs|Dr|Prof|Sr|Sra|Srta|Jr|St|Mt|Sig|Ing|Gen|Col|Capt|Lt|Sgt|Rev|Hon|Dhr|Mevr"
    r"|vs|No|Nos|Nr|Vol|Figs?|Refs?|ca|cf|al|approx|e\.g|i\.e"
    r"|M|MM|Mmes?|Mlles?|Me|Mgr|Pr|Ste|pp?|chap|éd"  # French
    r"|Bpk|Bp|Sdri?|Jln?|Ir|Drs|Dra|Hj|KH|Rp|Tn|Ny|hlm|th|tgl"  # Indonesian
)
_ENUMERATOR = re.compile(r"^(?:\(?(?:\d{1,3}|[A-Za-z]|[ivxIVX]{1,4})[.)]|\(\d{1,3}\))$")
_LAST_TOKEN = re.compile(r"([^\s(«\"'“‘]+)\.$")
_INITIAL = re.compile(r"(?:^|\s)[A-Z]\.$")
_OPENERS = "\"'“‘«‹([¿¡"
_CLOSERS = re.escape("\"'”’」』）)》〉】〕]］»›")
# Sentence-final marks of the scripts sentencex knows; ";" is the Greek question mark.
_FINAL = re.compile(rf"[.!?…。！？｡‼⁇⁈⁉।॥؟۔።။։;](?:\s*[{_CLOSERS}])*$")
_QUOTED = re.compile(r'“[^“”]*”|‘[^‘’]*’|«[^«»]*»|„[^„“”]*[“”]|"[^"]*"|「[^「」]*」|『[^『』]*』')
_INNER_STOP = re.compile(rf"[.!?…](?:\s*[{_CLOSERS}])*\s+(?=[^\s{_CLOSERS}])")
_NEXT_WORD = re.compile(r"\s+(?=\S)")
_ASCII_QUOTED = re.compile(r'"[^"]*"')

_CJK_STOP = re.compile(
    r"[!?]*[。！？｡][。！？｡!?]*"  # full-width stops always end a sentence
    # ASCII ones too, unless wedged between ASCII word characters as in a URL or a name like Yahoo!Japan
    r"|[!?]+(?![A-Za-z0-9_/=&%#.-])|(?<![A-Za-z0-9_/=&%#.-])[!?]+"
    # a full stop before a space or a CJK character, so 3.14 and GPT-4.5 stay whole; an ellipsis only
    # before a space, since 我……我不知道 trails off mid-sentence
    r"|\.+(?=\s|$|[^\x00-\x7f])|…+(?=\s|$)"
)
_CJK_CLOSERS = "」』”’）)》〉】〕]］»›"
_QUOTATIVE = "とっ"  # Japanese 「…。」と言った: the quote is part of the sentence around it
_NOT_A_START = "，、；：,;:"


def _base(lang: str) -> str:
    return re.split(r"[-_]", lang.strip().lower())[0]


def is_cjk(lang: str) -> bool:
    """Whether `lang` is written without spaces between words (so its sentences are joined with "")."""
    return _base(lang) in _CJK


def _library_cuts(block: str, lang: str) -> list[int]:
    """Cut offsets from sentencex, plus sentence ends inside quotations, which it never splits."""
    cuts, pos = set(), 0
    # sentencex returns sentence strings; map them back to offsets so the block is cut, never rewritten.
    for sentence in map(str.strip, sentencex.segment(lang, block)):
        start = block.find(sentence, pos) if sentence else -1
        if start >= 0:
            cuts.add(start)
            pos = start + len(sentence)
    # A quoted passage of several sentences is split like any other text, as it is in CJK text, so
    # that a translation's sentences line up one to one; so is a quoted sentence followed by another.
    for quote in _QUOTED.finditer(block):
        start, end = quote.span()
        cuts.update(stop.end() for stop in _INNER_STOP.finditer(block, start, end))
        if _FINAL.search(block, start, end) and (gap := _NEXT_WORD.match(block, end)):
            cuts.add(gap.end())
    return sorted(cuts - {0})


def _cjk_cuts(block: str) -> list[int]:
    cuts: list[int] = []
    quote_ends = {m.end() for m in _ASCII_QUOTED.finditer(block)}
    for match in _CJK_STOP.finditer(block):
        end = match.end()
        while end < len(block) and (block[end] in _CJK_CLOSERS or end + 1 in quote_ends):
            end += 1
        rest = block[end : end + 1]
        if not rest.strip() or rest in _NOT_A_START or (end > match.end() and rest in _QUOTATIVE):
            continue
        if end > (cuts[-1] if cuts else 0):
            cuts.append(end)
    return cuts


def _continues(previous: str, piece: str, cjk: bool) -> bool:
    """Whether the cut between two consecutive pieces of a block is a false sentence break."""
    if not cjk and not previous[-1:].isspace():
        return True  # a cut with no space after it is inside a word: "É.-U."
    tail, piece = previous.rstrip()[-64:], piece.lstrip()
    if _ENUMERATOR.match(tail) or not _FINAL.search(tail) or not any(c.isalnum() for c in piece):
        return True
    token = _LAST_TOKEN.search(tail)
    if token and (_TITLE.fullmatch(token.group(1)) or _INITIAL.search(tail)):
        return True
    # A Latin-script sentence never starts in lower case: "dll. lalu", "etc. et la suite".
    return not cjk and piece.lstrip(_OPENERS)[:1].islower()


def _split_block(block: str, lang: str) -> list[str]:
    cjk = lang in _CJK
    cuts = _cjk_cuts(block) if cjk else _library_cuts(block, lang)
    sentences: list[list[str]] = []
    for a, b in pairwise([0, *cuts, len(block)]):
        piece = block[a:b]
        if sentences and _continues(sentences[-1][-1], piece, cjk):
            sentences[-1].append(piece)
        elif piece.strip():
            sentences.append([piece])
    return [s for s in ("".join(pieces).strip() for pieces in sentences) if s]


def split_sentences(text: str, lang: str) -> list[str]:
    """Clean `text` and split it into sentences; a sentence never spans two blocks."""
    base = _base(lang)
    return [sentence for block in clean_text(text) for sentence in _split_block(block, base)]


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    codes = [getattr(IsoCode639_1, code.upper()) for code in _DETECTABLE.split()]
    # Whole documents are long enough for trigram-only models, which load in a fraction of a second.
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()


_NOT_WORDS = re.compile(r"\S*(?:://|www\.|@)\S*")


def detect_language(text: str) -> str:
    """ISO 639-1 code of the main language of `text`; AlignerError when it cannot be told."""
    sample = _NOT_WORDS.sub(" ", " ".join(clean_text(text[:50_000])))
    if not any(c.isalpha() for c in sample):
        raise AlignerError("cannot detect the language: the text has no words; give the language code")
    language = _detector().detect_language_of(sample)
    if language is None:
        raise AlignerError("cannot tell which language the text is in; give the language code")
    code = language.iso_code_639_1.name.lower()
    if code in ("zh", "ja"):
        # Hiragana is the tell: every Japanese sentence has it and Chinese has none, while katakana
        # also spells foreign names in Chinese and text of Han characters only is read as Chinese.
        han = sum("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in sample)
        hiragana = sum("\u3041" <= c <= "\u309f" for c in sample)
        katakana = sum("\u30a1" <= c <= "\u30fa" for c in sample)
        code = "ja" if hiragana > 0.05 * han or (katakana and not han) else "zh"
    return code
