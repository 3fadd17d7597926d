"""Facts about languages that several stages need: which are written without spaces."""

from __future__ import annotations

import re

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
