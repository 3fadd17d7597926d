"""Clean stage: read a document in any common encoding and turn it into clean one-line blocks."""

# ruff: noqa: RUF001  (full-width CJK punctuation in patterns is the point of this module)

from __future__ import annotations

import codecs
import html
import math
import re
import unicodedata
import warnings
from collections import Counter
from pathlib import Path

from charset_normalizer import from_bytes
from charset_normalizer.md import mess_ratio

from aligner.errors import AlignerError
from aligner.languages import base_code, script_of, scripts_of

_BINARY_MAGIC = (b"\x89PNG", b"\x1f\x8b", b"%PDF-", b"PK\x03\x04", b"\xff\xd8\xff", b"GIF8")
_UTF16_32_BOMS = {
    b"\xff\xfe\x00\x00": "utf-32",
    b"\x00\x00\xfe\xff": "utf-32",
    b"\xff\xfe": "utf-16",
    b"\xfe\xff": "utf-16",
}


_LEGACY_ENCODINGS = (
    "cp1252", "iso8859_15", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
    "cp1258", "iso8859_2", "iso8859_5", "iso8859_7", "koi8_r", "mac_roman", "tis_620",
    "gb18030", "big5", "shift_jis", "cp932", "euc_jp", "iso2022_jp", "euc_kr", "cp949",
)  # fmt: skip
"""What a text that is not UTF is looked for in: the code pages people still save text in.
Left to every codec Python knows, short French came out as HP Roman-8."""

_TIE = 0.01
"""Difference in charset-normalizer's chaos and coherence below which two decodings tie."""

_LANGUAGE_ENCODINGS = {
    "zh": ("gb18030", "big5"),
    "ja": ("shift_jis", "cp932", "euc_jp", "iso2022_jp"),
    "ko": ("euc_kr", "cp949"),
    **dict.fromkeys(("ru", "uk", "bg", "be", "sr", "mk"), ("cp1251", "koi8_r", "iso8859_5")),
    **dict.fromkeys(("cs", "pl", "hu", "ro", "sk", "sl", "hr", "bs"), ("cp1250", "iso8859_2")),
    "el": ("cp1253", "iso8859_7"),
    "tr": ("cp1254",),
    "he": ("cp1255",),
    **dict.fromkeys(("ar", "fa", "ur"), ("cp1256",)),
    **dict.fromkeys(("lt", "lv", "et"), ("cp1257",)),
    "vi": ("cp1258",),
    "th": ("tis_620",),
}
"""The legacy code pages of a language, most used first: tried before any guess when the
language is known, since a short text decodes as cleanly in the code pages of other scripts."""

_WESTERN_ENCODINGS = ("cp1252", "iso8859_15")
"""The code pages of a language written in Latin script that ``_LANGUAGE_ENCODINGS`` does not
list (French, German, Spanish, Indonesian...)."""

MIN_SCRIPT_SHARE = 0.5
"""Share of a text's letters that must be in its language's scripts for a decoding to fit it."""


def fits_script(text: str, lang: str) -> bool:
    """Whether most of ``text``'s letters are in a script ``lang`` is written in."""
    scripts = scripts_of(lang)
    letters = [c for c in text[:20_000] if c.isalpha()]
    if not letters:
        return True
    fitting = sum(script_of(c) in scripts for c in letters)
    return fitting >= MIN_SCRIPT_SHARE * len(letters)


def read_text(path: Path, encoding: str | None = None, lang: str | None = None) -> str:
    """Read a text file in ``encoding``, or by default in whatever encoding it uses (tried first
    among the code pages of ``lang``, where given); line ends come back as LF."""
    return _lf_line_ends(_decoded(path, encoding, lang))


def _decoded(path: Path, encoding: str | None, lang: str | None) -> str:
    """The file's text as it is, its line ends included, without a byte order mark."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AlignerError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AlignerError(f"{path}: is a directory, expected a text file") from None
    except OSError as exc:
        raise AlignerError(f"{path}: cannot read ({exc.strerror})") from None
    text = _decode_as(data, path, encoding) if encoding else _decode(data, path, lang)
    return text.lstrip("\ufeff")


def _lf_line_ends(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


_CR_IN_A_LINE = re.compile(r"\r(?!\n|\Z)")


def read_presplit(path: Path, encoding: str | None = None, lang: str | None = None) -> list[str]:
    """One sentence per line, verbatim; line ``k`` (0-based) is sentence ``k``. A blank file has
    none; blank lines at the end, which number no sentence, are left out. Lines end in LF, CRLF,
    or CR alone where the file has no LF; a CR alone in a file of LF line ends is an error, since
    it would part a line in two and shift every later sentence id (``wc -l`` counts LF)."""
    raw = _decoded(path, encoding, lang)
    inside = _CR_IN_A_LINE.search(raw) if "\n" in raw else None
    if inside:
        number = raw.count("\n", 0, inside.start()) + 1
        raise AlignerError(
            f"{path}:{number}: a carriage return inside the line: with --presplit every line is one "
            "sentence; remove it, or give the file one kind of line end"
        )
    text = _lf_line_ends(raw)
    if not text.strip():
        return []
    lines = text.split("\n")
    while not lines[-1].strip():
        lines.pop()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise AlignerError(
                f"{path}:{number}: empty line in a --presplit file (every line must be a sentence)"
            )
    return lines


def read_version(
    path: Path, presplit: bool = False, encoding: str | None = None, lang: str | None = None
) -> str | list[str]:
    """A version as ``aligner align`` reads it: the file's text, or with ``presplit`` its lines
    (which are kept as sentences)."""
    return read_presplit(path, encoding, lang) if presplit else read_text(path, encoding, lang)


_LINE_END = re.compile(rb"\r\n|\r|\n")


def _position(data: bytes, offset: int) -> str:
    """Where byte ``offset`` is, as a person finds it: its value, line and column (from 1); lines
    end in LF, CRLF or CR, as ``read_text`` reads them."""
    ends = [end.end() for end in _LINE_END.finditer(data, 0, offset)]
    column = offset - (ends[-1] if ends else 0) + 1
    return f"byte 0x{data[offset]:02x} at line {len(ends) + 1}, column {column}"


def _decode_as(data: bytes, path: Path, encoding: str) -> str:
    try:
        given = codecs.lookup(encoding).name
    except LookupError:
        given = ""  # said below, where decoding fails
    marked = next((codec for bom, codec in _UTF16_32_BOMS.items() if data.startswith(bom)), None)
    if marked and given and not given.startswith(marked):
        raise AlignerError(
            f"{path}: starts with a {marked.upper()} byte order mark, but --encoding {encoding} was "
            f"given: leave --encoding out, or give {marked}"
        )
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        raise AlignerError(f"{path}: not {encoding} text: {_position(data, err.start)}") from None
    except LookupError:  # no such codec, or one that is not a text encoding (rot13, base64)
        raise AlignerError(f"unknown text encoding {encoding!r} (e.g. utf-8, gb18030, cp1252)") from None
    if "\x00" in text:
        raise AlignerError(f"{path}: holds NUL characters in {encoding}: not a text file in that encoding")
    if not given.startswith("utf"):
        _warn_if_utf8(data, text, path, encoding)
    return text


def _warn_if_utf8(data: bytes, text: str, path: Path, encoding: str) -> None:
    """Warn where bytes read in a legacy ``encoding`` are also UTF-8 with characters beyond ASCII:
    legacy text is almost never valid UTF-8 by chance, so the encoding given is likely wrong and
    the text garbled (UTF-8 'é' read as cp1252 is 'Ã©')."""
    if data.isascii():
        return
    try:
        utf8 = data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        return
    first = re.search(r"[^\x00-\x7f]", utf8)
    if first is None:
        return
    before = re.search(r"\S{0,20}$", utf8[: first.start()]).group()
    word = before + re.match(r"\S{0,20}", utf8[first.start() :]).group()
    as_given = word.encode("utf-8").decode(encoding, errors="replace")
    warnings.warn(
        f"{path}: read as {encoding}, as asked, but it is valid UTF-8, which reads {as_given!r} as "
        f"{word!r}: check the encoding",
        stacklevel=2,
    )


def _decode(data: bytes, path: Path, lang: str | None = None) -> str:
    # UTF-16/32 are full of NUL bytes, so their BOM must be honoured before the binary check.
    for bom, codec in _UTF16_32_BOMS.items():
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                raise AlignerError(f"{path}: invalid {codec.upper()} text") from None
    binary = AlignerError(f"{path}: looks like a binary file, not text")
    if data.startswith(_BINARY_MAGIC):
        raise binary
    if b"\x00" in data:
        # Outside UTF-16 and UTF-32 (with a BOM above, or without one here) a NUL byte means binary data.
        text = _bomless_utf16(data)
        if text is None:
            raise binary
        return text
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        not_utf8 = _position(data, err.start)
    _refuse_mostly_utf8(data, path, not_utf8)
    if lang:
        for encoding in _LANGUAGE_ENCODINGS.get(base_code(lang), _WESTERN_ENCODINGS):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            # the whole text's measure: by default it stops at the first short block over 0.2
            if fits_script(text, lang) and mess_ratio(text, maximum_threshold=math.inf) < MAX_MESS:
                _refuse_mixed_lines(data, text, path, not_utf8)
                return text
    text = _guess(data, path, not_utf8)
    _refuse_mixed_lines(data, text, path, not_utf8)
    if lang and not fits_script(text, lang):
        warnings.warn(
            f"{path}: read as a legacy encoding, its text is not in the script of {lang!r}: give its "
            "encoding with --encoding",
            stacklevel=3,
        )
    return text


MAX_MESS = 1.0
"""charset-normalizer's measure of how garbled a decoding reads (odd mixes of case, script and
symbols), from which a code page of the language given, though it decodes the bytes without
error, is taken to misread them: random bytes read as Windows-1252 letters, which fit the
Latin script, mostly score 1.5-3; prose scores near 0, and a short file of capitals with
accents up to about 0.8 (charset-normalizer itself draws its line at 0.2, where such a file
would fail)."""

MOSTLY_UTF8 = 3
"""Characters beyond ASCII that decode as UTF-8 per stretch of bytes that does not, from which
a file is UTF-8 with a few stray bytes rather than legacy text (whose bytes seldom form UTF-8
by chance)."""

MIN_UTF8_CHARACTERS = 10
"""Fewest characters beyond ASCII that decode as UTF-8 for a file to count as mostly UTF-8: a
few legacy CJK characters may happen to."""


def _refuse_mostly_utf8(data: bytes, path: Path, not_utf8: str) -> None:
    """A one-line error for a UTF-8 file with a few bytes of another encoding: read in a legacy
    code page, all of its other characters would be garbled."""
    kept = data.decode("utf-8", errors="ignore")
    stray = len(data.decode("utf-8", errors="replace")) - len(kept)
    utf8 = sum(1 for char in kept if ord(char) > 0x7F)
    if utf8 >= max(MOSTLY_UTF8 * stray, MIN_UTF8_CHARACTERS):
        raise AlignerError(
            f"{path}: UTF-8 but in {stray} place{'s' if stray > 1 else ''} ({not_utf8}): "
            "fix the text there, or give its encoding with --encoding"
        )


def _refuse_mixed_lines(data: bytes, text: str, path: Path, not_utf8: str) -> None:
    """A one-line error where a one-byte code page reads a file that has a line of UTF-8 beyond
    ASCII, in the script of the file's other lines, beside lines that are not UTF-8: a UTF-8
    file with a line pasted from another encoding, too short for ``_refuse_mostly_utf8``, whose
    every UTF-8 character the code page would garble ('é' as 'Ã©'). Legacy text seldom forms a
    whole line of UTF-8 (its letters beyond ASCII are mostly bytes that cannot follow one
    another in UTF-8), and where it does, the UTF-8 reading is in another script than the text
    (a Thai word that reads as 'ö', a Greek numeral sign as an acute accent). A code page of two-byte
    characters (Chinese, Japanese) may form short UTF-8 lines by chance, and is left alone."""
    if len(text) != len(data):
        return
    utf8_lines, legacy = [], []
    starts = [0, *(end.end() for end in _LINE_END.finditer(data))]
    for number, (start, stop) in enumerate(zip(starts, [*starts[1:], len(data)], strict=True), start=1):
        line = data[start:stop]
        if line.isascii():
            continue
        try:
            utf8_lines.append((number, line.decode("utf-8")))
        except UnicodeDecodeError:
            legacy.append(text[start:stop])  # one byte, one character: the code page's reading
    if not utf8_lines:  # most legacy files: their letters need no counting
        return
    scripts = Counter(script_of(char) for line in legacy for char in line if char.isalpha())
    if not scripts:
        return
    main_script = scripts.most_common(1)[0][0]
    for number, line in utf8_lines:
        found = {script_of(char) for char in line if char.isalpha() and not char.isascii()}
        if found and found <= {main_script}:
            raise AlignerError(
                f"{path}: line {number} is UTF-8 but {not_utf8} is not: one file, one encoding; fix "
                "the text there, or give its encoding with --encoding"
            )


def _guess(data: bytes, path: Path, not_utf8: str) -> str:
    """The decoding charset-normalizer finds best among the legacy code pages."""
    matches = from_bytes(data, cp_isolation=list(_LEGACY_ENCODINGS))
    best = matches.best()
    if best is None:
        raise AlignerError(
            f"{path}: cannot detect the text encoding: {not_utf8} is not UTF-8, and no legacy encoding "
            "fits; give it with --encoding"
        )
    # Short Western text often decodes equally cleanly as several code pages (an à is a ŕ in
    # cp1250); on a tie, Windows-1252, by far the most used of them, is the likely one.
    tied = [
        m
        for m in matches
        if m.chaos <= best.chaos + _TIE and m.coherence >= best.coherence - _TIE and m.encoding == "cp1252"
    ]
    return str(tied[0] if tied else best)


_UTF16_WRONG_SIDE_NULS = 0.25
"""NUL bytes on the other side, as a share of those on the side of the high bytes, above which
bytes are not UTF-16 of mostly ASCII and CJK text."""
_UTF16_MIN_NULS = 0.1
"""Share of NUL bytes below which bytes that are valid UTF-8 without them are 8-bit text."""
_UTF16_MIN_PRINTABLE = 0.99
"""Share of printable characters that a UTF-16 decoding must reach, which binary data does not."""


def _bomless_utf16(data: bytes) -> str | None:
    """The text of UTF-16 without a byte-order mark, or None when `data` is not that.

    Its NUL bytes are the high bytes of ASCII characters (half the bytes of Latin text, the line ends of
    CJK text), so nearly all sit at odd offsets (little-endian) or at even ones (big-endian). Few NULs in
    bytes that are valid UTF-8 without them are stray NULs in 8-bit text; binary data does not decode to
    printable text.
    """
    even, odd = data[0::2].count(0), data[1::2].count(0)
    if len(data) % 2 or min(even, odd) > _UTF16_WRONG_SIDE_NULS * max(even, odd):
        return None
    if even + odd < _UTF16_MIN_NULS * len(data):
        try:
            data.replace(b"\x00", b"").decode("utf-8")
            return None
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-16-le" if odd > even else "utf-16-be")
    except UnicodeDecodeError:
        return None
    printable = sum(c.isprintable() or c in "\t\n\r" for c in text)
    return text if printable >= _UTF16_MIN_PRINTABLE * len(text) else None


# --- character level -------------------------------------------------------------------------------

# ZWJ/ZWNJ (U+200C/D) are kept: they are spelling in Persian and Indic scripts and glue emoji.
_DELETE = "\u00ad\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\ufeff"
_DELETE += "\u2066\u2067\u2068\u2069"
_SPACES = "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_SPACES += "\u202f\u205f\u3000"
_CHAR_MAP = {
    **{c: None for c in range(0x20) if c not in (0x09, 0x0A, 0x0B, 0x0C)},
    **{c: None for c in range(0x7F, 0xA0) if c != 0x85},
    **dict.fromkeys(map(ord, _DELETE)),
    **dict.fromkeys(map(ord, _SPACES), " "),
    0x0B: "\n",
    0x85: "\n",
    0x2028: "\n",
    0x0C: "\n\n",
    0x2029: "\n\n",
}

# Full-width punctuation carries its own spacing, so spaces beside it are layout noise.
_CJK_PUNCT = "，。、；：！？「」『』（）《》〈〉【】〔〕"
_SPACE_BY_CJK_PUNCT = re.compile(rf"\s+(?=[{_CJK_PUNCT}])|(?<=[{_CJK_PUNCT}])\s+")

# --- HTML ------------------------------------------------------------------------------------------

_HTML_DROP = re.compile(r"<!--.*?-->|<(script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_HTML_BREAK = re.compile(r"<br\s*/?>", re.I)
# A table's cells are words apart: "<td>Revenue</td><td>5.2 bn</td>" is not "Revenue5.2 bn".
_HTML_CELL = re.compile(r"</t[dh]\s*>", re.I)
_DOCTYPE = re.compile(r"<!DOCTYPE[^>]*>", re.I)
# Only real element names with well-formed attributes: "<Basislager>" or "<Du kannst ... >" are quotation
# marks in OCR'd or plain text, and taking them for tags would delete the words between them.
_ATTRS = r"""(?:\s+[\w:-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>=`]+))?)*\s*/?>"""
_HTML_BLOCK = re.compile(
    r"</?(?:p|div|h[1-6]|li|ul|ol|dl|dt|dd|tr|table|thead|tbody|blockquote|section|article|header|footer"
    r"|aside|nav|main|pre|hr|figure|figcaption)" + _ATTRS,
    re.I,
)
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^\s<>]+|[^\s<>@]+@[^\s<>@]+\.\w+)>")
_HTML_TAG = re.compile(
    r"</?(?:a|abbr|b|bdi|bdo|big|body|center|cite|code|col|colgroup|del|dfn|em|font|form|head|html|i|img"
    r"|input|ins|kbd|label|link|mark|meta|picture|q|s|samp|small|source|span|strike|strong|sub|sup|svg"
    r"|td|tfoot|th|time|title|tt|u|var|wbr)" + _ATTRS,
    re.I,
)

# --- Markdown, line level ------------------------------------------------------------------------

_IMAGE = re.compile(r"!\[[^\[\]]*\](?:\([^()]*\)|\[[^\[\]]*\])")
_FENCE = re.compile(r"^\s*(```|~~~)")
_RULE = re.compile(r"^\s*(?:[-*_=]\s*){3,}$")
_LINK_DEF = re.compile(r"^\s*\[[^\]]+\]:\s*\S+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_BULLET = re.compile(r"^\s*[-*+•·▪‣◦]\s+")
# Numbers of an ordered list are content ("step 2"), so they stay; the line starts a new block.
_ENUM = re.compile(r"^\s*(?:\d{1,3}[.)]\s|\d{1,3}[、．]|[一二三四五六七八九十]{1,3}、|[（(]\d{1,3}[）)])")
_TABLE_SEP = re.compile(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*$")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")

# Page furniture and metadata: short "key: value" lines, bylines, copyright, bare URLs, dates. Kept short
# so that the first line of a wrapped paragraph is never taken for one.
_META = re.compile(
    r"""^(?:
      [^\s:：,，。.!?！？;；「」“"]{1,12}(?:\ [^\s:：,，。.!?！？;；「」“"]{1,12}){0,2}\s*[:：]\s*
          (?:.{0,40}|(?:https?|ftp)://\S+|\S+@\S+)
    | (?i:published|posted|updated|last\ updated|written)\b.{0,30}
    | By(?:\ [A-Z][\w.'-]*){1,4}
    | (?:©|(?i:copyright)\ (?:©|\(c\)|\d{4})).{0,80}
    | .{0,40}\bTHE\ END\b.{0,40}
    | (?:https?|ftp)://\S+ | www\.\S+ | [\w.+-]+@[\w-]+\.[\w.-]+
    | [\d\s:./\-年月日时分秒時]*\d[\d\s:./\-年月日时分秒時]*
    )$""",
    re.X,
)

# --- Markdown, inline -----------------------------------------------------------------------------

# Contents exclude the delimiter so that an unclosed one costs a short scan, not one to the end.
# Each pattern comes with the character it needs, so that plain text skips it: (needed, pattern, replacement).
_INLINE = [
    ("[", re.compile(r"\[([^\[\]]*)\]\([^()\s]*(?:\s+\"[^\"]*\")?\)"), r"\1"),
    ("[", re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]"), r"\1"),
    ("`", re.compile(r"(`+)([^`]+?)\1"), r"\2"),
    ("*", re.compile(r"\*\*(?=\S)((?:[^*]|\*(?!\*))+?)(?<=\S)\*\*"), r"\1"),
    ("_", re.compile(r"__(?=\S)((?:[^_]|_(?!_))+?)(?<=\S)__"), r"\1"),
    ("~", re.compile(r"~~((?:[^~]|~(?!~))+?)~~"), r"\1"),
    ("*", re.compile(r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])"), r"\1"),
    # Underscores inside words (snake_case, file_name.pdf) are not emphasis markers.
    ("_", re.compile(r"(?<!\w)_(?=\S)((?:[^_]|(?<=\w)_(?=\w))+?)(?<=\S)_(?!\w)"), r"\1"),
    ("\\", re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|])"), r"\1"),
]
_MARKUP_ONLY = re.compile(r"^[\s_*~`>|]*$")

_TERMINAL = re.compile(r"[.!?。！？｡…][\s\"'”’」』）)》〉】〕\]»›]*$")
_HYPHEN_END = re.compile(r"[^\W\d_]-$")
_BROKEN_HEAD = re.compile(r"(?:^|\s)([^\W\d_]+)-$")
_BROKEN_TAIL = re.compile(r"[^\W\d_]+")
_WORD_FORM = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_OPENERS = "\"'“‘«‹(["


def _is_cjk_char(ch: str) -> bool:
    # Scripts written without spaces between words (Han, kana) and full-width punctuation.
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0xFF00 <= o <= 0xFF60
        or 0x20000 <= o <= 0x3FFFF
        or ch in _CJK_PUNCT
    )


def _inline(s: str) -> str:
    for needed, pattern, repl in _INLINE:
        if needed in s:
            s = pattern.sub(repl, s)
    return s


def _tidy(s: str) -> str:
    s = " ".join(_inline(s).split())
    return _SPACE_BY_CJK_PUNCT.sub("", s).strip()


def _hyphenated(last: str, line: str, forms: set[str]) -> bool:
    """Whether the hyphen that ends ``last`` was put there to break a word at the line's end
    ("manufac-" / "turing"): the document writes the word whole elsewhere, and never with a
    hyphen there ("well-" / "known" stays "well-known"). Without such evidence the hyphen stays."""
    head, tail = _BROKEN_HEAD.search(last), _BROKEN_TAIL.match(line)
    if head is None or tail is None:
        return False
    whole, compound = (head.group(1) + tail.group()).lower(), f"{head.group(1)}-{tail.group()}".lower()
    return whole in forms and compound not in forms


def _glue(last: str, line: str) -> str:
    """What goes between a hard-wrapped line and its continuation."""
    tight = _HYPHEN_END.search(last) or (_is_cjk_char(last[-1]) and _is_cjk_char(line[0]))
    return "" if tight else " "


def _prepare(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _DOCTYPE.sub("", _HTML_DROP.sub("", text))
    text = _HTML_CELL.sub(" ", _HTML_BREAK.sub("\n", text))
    text = _HTML_BLOCK.sub("\n\n", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = html.unescape(_HTML_TAG.sub("", text))
    return unicodedata.normalize("NFC", text.translate(_CHAR_MAP))


def _classify(lines: list[str]) -> list[tuple[str, str, int]]:
    """Tag each line as (kind, text, quote depth).

    Kinds: blank (a paragraph break), text, item (starts a list item), meta (furniture, kept apart),
    own (heading, table row or code line: a block by itself).
    """
    out: list[tuple[str, str, int]] = []
    in_code = False
    for raw in lines:
        if _FENCE.match(raw):
            in_code = not in_code
            out.append(("blank", "", 0))
            continue
        if in_code:
            out.append(("own" if raw.strip() else "blank", raw.strip(), 0))
            continue
        line = _IMAGE.sub("", raw)
        quote = _QUOTE.match(line)
        depth = quote.group().count(">") if quote else 0
        line = line[quote.end() :].strip() if quote else line.strip()
        bullet = _BULLET.match(line)
        if bullet:
            line = line[bullet.end() :]
        if _MARKUP_ONLY.match(line) or _RULE.match(line) or _LINK_DEF.match(line) or _TABLE_SEP.match(line):
            out.append(("blank", "", depth))
        elif heading := _HEADING.match(line):
            out.append(("own", heading.group(1) or "", depth))
        elif _TABLE_ROW.match(line):
            out.append(("own", line.replace("|", " "), depth))
        elif _META.match(_tidy(line).strip("_*")):
            out.append(("meta", line, depth))
        elif bullet or _ENUM.match(line):
            out.append(("item", line, depth))
        else:
            out.append(("text", line, depth))
    return out


def _continues(last: str, line: str, group_kind: str, width: int | None) -> bool:
    """Whether `line` is the hard-wrapped continuation of a group whose last line is `last`, in a
    document whose lines are wrapped at ``width`` characters (None: not hard-wrapped)."""
    if _SPACE_MARKED_END.search(last) or not (_has_words(last) and _has_words(line)):
        return False  # and an ornament line stays one, to be left out and counted as one
    # Wrapping tools count characters, not columns, and move a word down only when it does not fit;
    # a line shorter than that is a heading or a label, not the first half of a sentence.
    is_full = (
        width is not None
        and len(last) >= 0.3 * width
        and (len(last) >= 0.6 * width or len(last) + 1 + len(line.split()[0]) > width)
    )
    if is_full and _HYPHEN_END.search(last) and " " not in line:
        return True
    if group_kind == "meta" or _TERMINAL.search(last):
        return False
    # Latin, Cyrillic or Greek text never starts a paragraph in lower case.
    return is_full or line.lstrip(_OPENERS)[:1].islower()


_WRAP_QUANTILE = 0.9
"""The quantile of line lengths taken as a hard-wrapped document's line width: the longest lines
but a few that overran it."""

MIN_WRAP_COLUMNS = 12
"""Where even the longest line is narrower than this (a wide character counting two), a document's
lines are a list or subtitles, each a unit of its own, not text wrapped to a width: a newspaper
column, the narrowest prose that is wrapped, holds 17 characters or more."""

_SPACE_MARKED_END = re.compile(r"[\u0e01-\u0e5b\u0e81-\u0edf]$")
"""A line that ends in Thai or Lao: these scripts end a sentence with a space, not a mark, so a
line break there ends one too."""


def clean_text(text: str) -> list[str]:
    """Split a document into cleaned one-line blocks (paragraphs, headings, metadata lines), in
    order; blocks with no letter or digit (ornaments, emoji) are left out (see ``wordless``)."""
    return [block for block in _blocks(text) if _has_words(block)]


def wordless(text: str) -> list[str]:
    """The blocks of ``text`` that ``clean_text`` leaves out for having no letter or digit."""
    return [block for block in _blocks(text) if block.strip() and not _has_words(block)]


def _columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def _has_words(block: str) -> bool:
    return any(c.isalnum() for c in block)


def _blocks(text: str) -> list[str]:
    lines = _classify(_prepare(text).split("\n"))
    wrapped = [line for kind, line, _ in lines if kind in ("text", "item")]
    lengths = sorted(map(len, wrapped))
    wide = any(len(line) >= MIN_WRAP_COLUMNS or _columns(line) >= MIN_WRAP_COLUMNS for line in wrapped)
    width = lengths[int(_WRAP_QUANTILE * (len(lengths) - 1))] if wide else None

    forms = {form.lower() for _, line, _ in lines for form in _WORD_FORM.findall(line)}
    groups: list[list[str]] = []
    group_kind, group_depth, last = "blank", 0, ""
    for kind, line, depth in lines:
        if (
            kind == "text"
            and group_kind in ("text", "item", "meta")
            and depth == group_depth
            and _continues(last, line, group_kind, width)
        ):
            if _hyphenated(last, line, forms):
                groups[-1][-1] = last[:-1]
            groups[-1] += (_glue(last, line), line)
        else:
            if kind != "blank":
                groups.append([line])
            group_kind, group_depth = kind, depth
        last = line
    return [_tidy("".join(group)) for group in groups]
