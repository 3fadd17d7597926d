"""Fuzz cleaning and splitting with arbitrary Unicode: no exception, no lost character, no hang.

Text is drawn from any code points mixed with the pieces the cleaner and splitter react to
(Markdown, HTML, quotes, stops of several scripts, odd line breaks), so that both random noise
and near-real documents are tried. ``ALIGNER_FUZZ_EXAMPLES`` runs more examples locally.
"""

# ruff: noqa: RUF001  (full-width CJK punctuation is what the splitter must handle)

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aligner.clean import clean_text
from aligner.segment import split_sentences

PIECES = [
    *" \n\n\r\t\u00a0\u2028\u2029\x0b\x0c\x85\u200b\ufeff\u3000",
    *".!?…;:,。！？、「」『』（）《》\"'“”‘’«»‹›()[]{}<>",
    *"#*_`~>|-+=&@/\\",
    "\n\n",
    ". ",
    "。",
    "M. ",
    "Dr. ",
    "1. ",
    "e.g. ",
    "- ",
    "> ",
    "---",
    "```",
    "| a | b |",
    "<p>",
    "</p>",
    "<br>",
    "<script>x</script>",
    "<!-- c -->",
    "[link](http://x.y/z)",
    "![img](a.png)",
    "http://example.com/a?b=c",
    "**bold**",
    "_it_",
    "Title: value",
    "© 2024",
    "Le chat dort",
    "il dort",
    "猫が寝ている",
    "我们走吧",
    "Кошка спит",
    "القط نائم",
    "बिल्ली सो रही है",
    "แมวนอน",
]
LANGS = ["fr", "en", "id", "de", "ru", "ar", "hi", "th", "ko", "zh", "ja", "el", "xx"]

text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=60).map("".join)
FUZZ = settings(
    max_examples=int(os.environ.get("ALIGNER_FUZZ_EXAMPLES", "150")),
    deadline=2000,  # a backtracking regular expression takes far longer than this on 700 characters
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _visible(pieces: list[str]) -> str:
    return "".join("".join(pieces).split())


@FUZZ
@given(text)
def test_clean_text_gives_tidy_one_line_blocks(source: str) -> None:
    for block in clean_text(source):
        assert isinstance(block, str) and block == block.strip()
        assert not any(c in block for c in "\n\r\x0b\x0c\x85\u2028\u2029")
        assert any(c.isalnum() for c in block)


@FUZZ
@given(text, st.sampled_from(LANGS))
def test_splitting_keeps_every_character_of_the_cleaned_text(source: str, lang: str) -> None:
    sentences = split_sentences(source, lang)
    for sentence in sentences:
        assert isinstance(sentence, str) and sentence and sentence == sentence.strip()
        assert "\n" not in sentence
    # Splitting only cuts: the sentences hold the cleaned blocks' text, in order.
    assert _visible(sentences) == _visible(clean_text(source))
