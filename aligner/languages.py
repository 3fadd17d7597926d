"""Facts about languages that several stages need: which codes name one, which are written
without spaces."""

from __future__ import annotations

import re

from aligner.errors import AlignerError

_CJK = {"zh", "ja", "yue", "wuu", "lzh", "cmn"}
"""Languages written without spaces between words: their sentences are joined with "" and end at
full-width stops. Korean spaces its words, so it is not one of them."""


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
