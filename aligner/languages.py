"""Facts about languages that several stages need: which codes name one, which are written
without spaces, which scripts they are written in."""

from __future__ import annotations

import re
import unicodedata

from aligner.errors import AlignerError

_CJK = {"zh", "ja", "yue", "wuu", "lzh", "cmn"}
"""Languages written without spaces between words: their sentences are joined with "" and end at
full-width stops. Korean spaces its words, so it is not one of them."""


SCRIPTS = {
    "zh": {"CJK"},
    "ja": {"CJK", "HIRAGANA", "KATAKANA"},
    "ko": {"HANGUL", "CJK"},
    **dict.fromkeys(("ru", "uk", "bg", "be", "sr", "mk", "kk"), frozenset({"CYRILLIC"})),
    "el": {"GREEK"},
    "he": {"HEBREW"},
    **dict.fromkeys(("ar", "fa", "ur"), frozenset({"ARABIC"})),
    **dict.fromkeys(("th", "sou", "tts"), frozenset({"THAI"})),
    **dict.fromkeys(("hi", "mr", "ne"), frozenset({"DEVANAGARI"})),
    "lo": {"LAO"},
    "km": {"KHMER"},
    **dict.fromkeys(("my", "shn", "mnw", "ksw"), frozenset({"MYANMAR"})),
    "ka": {"GEORGIAN"},
    "hy": {"ARMENIAN"},
    "si": {"SINHALA"},
    **dict.fromkeys(("bo", "dz"), frozenset({"TIBETAN"})),
    "gu": {"GUJARATI"},
    "pa": {"GURMUKHI"},
    "ta": {"TAMIL"},
    "te": {"TELUGU"},
    "kn": {"KANNADA"},
    "ml": {"MALAYALAM"},
    "or": {"ORIYA"},
}
"""The scripts a language is written in, named as the first word of their letters' Unicode names;
a language not listed is taken to be in Latin script. Where several languages write one script,
the first listed is the one a text in it is taken for."""


def script_of(char: str) -> str:
    """The script a letter is written in, as the first word of its Unicode name names it."""
    return unicodedata.name(char, "").partition(" ")[0]


def scripts_of(lang: str) -> set[str] | frozenset[str]:
    """The scripts ``lang`` is written in (``SCRIPTS``)."""
    return SCRIPTS.get(base_code(lang), frozenset({"LATIN"}))


def base_code(lang: str) -> str:
    """The language subtag of a code, lower-cased: ``zh`` for ``zh-Hant`` or ``zh_CN``."""
    return re.split(r"[-_]", lang.strip().lower())[0]


def is_cjk(lang: str) -> bool:
    """Whether ``lang`` is written without spaces between words (so its sentences are joined with "")."""
    return base_code(lang) in _CJK


def joiner(lang: str) -> str:
    """What joins the sentences of one unit: nothing in Chinese and Japanese, else a space."""
    return "" if is_cjk(lang) else " "


NOT_A_LANGUAGE = {"und", "mul", "zxx", "mis"}
"""Codes that name no language (undetermined, several, no linguistic content, uncoded), with
which the splitter falls back to rules that may not fit the text at all."""


def names_a_language(lang: str) -> bool:
    """Whether ``lang`` names a language whose rules the splitter can pick (not ``und``, ``mul``,
    ``zxx``, ``mis`` or a private-use ``qaa``-``qtz``)."""
    base = base_code(lang)
    return base not in NOT_A_LANGUAGE and not ("qaa" <= base <= "qtz" and len(base) == 3)


def standard_code(code: str, where: str, force: bool = False, hint: str = "") -> str:
    """``code`` standardised (``fr``, ``FR`` and ``fra`` alike), else a one-line error saying
    ``where`` it was given: where it is no language tag, or names no language (``und``) unless
    ``force``, ``hint`` then saying how to keep it."""
    import langcodes

    code = code.strip()
    if not langcodes.tag_is_valid(code):
        raise AlignerError(f"unknown language code {code!r} {where} (use ISO 639 codes such as id, fr, zh)")
    code = langcodes.standardize_tag(code)
    if not force and not names_a_language(code):
        raise AlignerError(
            f"{code!r} {where} names no language, so sentences would be split by rules that may not "
            f"fit the text: give the text's language (e.g. ja){hint}"
        )
    return code
