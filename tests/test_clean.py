# ruff: noqa: RUF001  (full-width CJK punctuation in test data is deliberate)
import gzip
from pathlib import Path

import pytest

from aligner.clean import clean_text, read_presplit, read_text, wordless
from aligner.errors import AlignerError

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def seed(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def web_page() -> list[str]:
    return clean_text(seed("002"))


# --- clean_text on the seeds -------------------------------------------------------------------------


def test_markdown_images_and_markup_vanish(web_page):
    text = "\n".join(web_page)
    assert "![" not in text and "wx_fmt=png" not in text
    assert "**" not in text and "# " not in text
    assert not any(block.startswith("_") or block.endswith("_") for block in web_page)
    assert web_page[0] == "刚刚，OpenAI元老级研究员Alec Radford离职，他主导了GPT-1、GPT-2的研发"
    assert "编辑：杜伟、陈陈" in web_page
    assert "OpenAI 连续 12 天发布会还剩最后一天，期待中的「重磅」迟迟没来，反而失去了一位核心研究人员。" in (
        web_page
    )


def test_hard_wraps_are_rejoined(web_page):
    assert any("表示：「我们对 Alec 及其贡献有着深深的敬意和感激" in block for block in web_page)
    assert any("「Radford 显然是影响力最大但知名度最低的人。" in block for block in web_page)
    assert any("GPT-2 的被引数为 14828。" in block for block in web_page)
    assert any("提出「半监督（semi-supervised）」" in block for block in web_page)
    # URLs that the wrapping tool broke at a hyphen come back whole.
    assert "https://www.theinformation.com/briefings/senior-openai-researcher-radford-departs" in web_page
    assert (
        "GPT-1 论文：https://cdn.openai.com/research-covers/language-unsupervised/language_understanding_paper.pdf"
        in web_page
    )


def test_metadata_lines_stay_apart(web_page):
    furniture = ["文章作者: 机器之心", "发布时间: 2024-12-20 11:08", "发布地: 未知地区", "© THE END"]
    furniture += [
        "机器之心报道",
        "参考链接：",
        "转载请联系本公众号获得授权",
        "https://x.com/jeffclune/status/1841167663252615634",
    ]
    assert all(line in web_page for line in furniture)
    assert sum(block.startswith("原文链接: http://mp.weixin.qq.com/") for block in web_page) == 1


def test_plain_seeds_keep_their_paragraphs():
    for prefix in ("000", "001"):
        blocks = clean_text(seed(prefix))
        assert blocks == [line.strip() for line in seed(prefix).splitlines() if line.strip()]


def test_headings_are_not_glued_to_the_next_line():
    blocks = clean_text(seed("004"))
    assert blocks[:3] == [
        "Published on",
        "博士号を持たないOpenAIの先駆者アレック・ラドフォード、GPT時代を革命的に変える",
        "アレック・ラドフォード:GPTの知られざる立役者",
    ]
    assert "学術的業績" in blocks and "驚くべき背景" in blocks


def test_numbered_questions_and_nbsp():
    blocks = clean_text(seed("003"))
    assert "© THE END" in blocks
    numbered = [b for b in blocks if b[:2] in ("1、", "2、", "3、")]
    assert [b[:2] for b in numbered] == ["1、", "2、", "3、"]
    assert "\u00a0" not in "".join(blocks)


# --- clean_text on small inputs ----------------------------------------------------------------------


def test_markdown_to_text():
    text = (
        '# Title #\n\nSome **bold**, *em*, _em_, `code` and a [link](http://x.com "t").\n'
        "![alt](img.png)\n\n> quoted line\n> continues here\n\n- item one\n* item two\n1. first\n2) second\n"
        "\n---\n\nsnake_case_name and 2*3*4 stay.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\nx = 1\n```"
    )
    blocks = ["Title", "Some bold, em, em, code and a link.", "quoted line continues here", "item one"]
    # Bullets are markup; the numbers of an ordered list are content ("step 2").
    blocks += ["item two", "1. first", "2) second", "snake_case_name and 2*3*4 stay.", "a b", "1 2", "x = 1"]
    assert clean_text(text) == blocks


def test_html_tags_and_entities():
    html = "<p>Hello&nbsp;<b>world</b> &amp; friends &lt;3.</p><div>Next</div><script>x;</script><!-- c -->"
    assert clean_text(html) == ["Hello world & friends <3.", "Next"]


def test_angle_brackets_that_are_not_tags_keep_their_words():
    # OCR'd and plain text use < > as quotation marks; only real HTML elements are tags.
    words = "Er nannte es <Basislager> und rief <Du kannst es versuchen!) zurück > gut."
    assert clean_text(f"{words} <span class=x>Ja</span>") == [f"{words} Ja"]


def test_urls_and_addresses_on_their_own_line_stay_apart():
    text = "A sentence that goes on\nhttps://example.com/a-b\nmail@example.org\nand text."
    blocks = ["A sentence that goes on", "https://example.com/a-b", "mail@example.org", "and text."]
    assert clean_text(text) == blocks


def test_wrapped_latin_paragraph_gets_one_space_and_short_lines_stay():
    text = (
        "The quick brown fox jumps over the lazy dog and keeps running until it\n"
        "reaches the river, where it finally stops to drink some of the cold water.\n"
        "A heading\n"
        "Another line that is about as long as the others, so it looks wrapped, and\n"
        "ends here."
    )
    assert clean_text(text) == [
        "The quick brown fox jumps over the lazy dog and keeps running until it reaches the river, "
        "where it finally stops to drink some of the cold water.",
        "A heading",
        "Another line that is about as long as the others, so it looks wrapped, and ends here.",
    ]


def test_wrapped_cjk_paragraph_gets_no_space():
    first = "这是一个很长的句子，它被硬换行分成了两行，" * 3
    assert clean_text(f"{first}\n这里是后半句。\n\n下一段。") == [f"{first}这里是后半句。", "下一段。"]


def test_characters_are_normalised():
    assert clean_text("e\u0301te\u0301") == ["été"]
    assert clean_text("ab\u200bc\u00add\x07e\ufeff f") == ["abcde f"]
    assert clean_text("a\u00a0b\u2009c\u3000d\te") == ["a b c d e"]
    assert clean_text("\u3000\u3000第一段。\n\n\u3000\u3000第二段。") == ["第一段。", "第二段。"]
    # Full-width forms are content, not compatibility noise: no NFKC.
    assert clean_text("ＧＰＴ１２３，「你好」！") == ["ＧＰＴ１２３，「你好」！"]
    assert clean_text("共同一作 ，其中 Radford、 Dario") == ["共同一作，其中 Radford、Dario"]


def test_whitespace_only_input_has_no_blocks():
    assert clean_text("") == []
    assert clean_text(" \n\u3000\n\t\n\u200b\n---\n") == []


# --- read_text ---------------------------------------------------------------------------------------

CHINESE = "\n\n".join(seed("003").split("\n\n")[:12])
JAPANESE = seed("004")
FRENCH = seed("001")


# "utf-16-le" and "utf-16-be" write no byte-order mark.
ENCODED = [(CHINESE, encoding) for encoding in ("gb18030", "gbk", "big5", "utf-16", "utf-16-le")]
ENCODED += [(JAPANESE, encoding) for encoding in ("shift_jis", "euc_jp", "utf-8", "utf-16-be")]
ENCODED += [(FRENCH, encoding) for encoding in ("cp1252", "utf-16", "utf-8-sig", "utf-16-le")]


@pytest.mark.parametrize(("text", "encoding"), ENCODED)
def test_encodings_round_trip(tmp_path, text, encoding):
    # Big5 has no simplified characters; keep what it can spell.
    text = "".join(c for c in text if c.encode(encoding, "ignore"))
    path = tmp_path / "doc.txt"
    path.write_bytes(text.encode(encoding))
    assert read_text(path) == text


@pytest.mark.parametrize(
    "text",
    [
        "Demain nous irons à Paris avec le garçon.",
        "Le garçon pêche à côté de la rivière. Nous irons à la fête demain, où il y aura des crêpes.",
        "Señor Müller prend un café crème à Zürich.",
    ],
)
def test_short_western_text_in_cp1252_is_not_read_as_another_code_page(tmp_path, text):
    # These bytes decode without error in cp1250 and cp1257 too, where à reads ŕ or ą.
    path = tmp_path / "doc.txt"
    path.write_bytes(text.encode("cp1252"))
    assert read_text(path) == text


def test_line_ends_become_lf(tmp_path):
    path = tmp_path / "doc.txt"
    path.write_bytes(b"one\r\ntwo\rthree\n")
    assert read_text(path) == "one\ntwo\nthree\n"


def test_a_presplit_line_is_never_parted_by_a_carriage_return(tmp_path):
    path = tmp_path / "doc.txt"
    for data in (b"One.\nTwo.\nThree.\n", b"One.\r\nTwo.\r\nThree.", b"One.\rTwo.\rThree.\r"):
        path.write_bytes(data)
        assert read_presplit(path) == ["One.", "Two.", "Three."]
    path.write_bytes(b"One.\nTwo,\rand a half.\nThree.\n")  # a CR alone where lines end in LF
    with pytest.raises(AlignerError, match=r"doc.txt:2: a carriage return inside the line"):
        read_presplit(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(32), "binary"),
        (gzip.compress(b"hello"), "binary"),
        (b"text with a \x00 byte", "binary"),
        (bytes(range(0x80, 0x100)) * 3, "encoding"),
    ],
)
def test_unreadable_files_raise(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(AlignerError, match=message) as err:
        read_text(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_missing_file_and_directory_raise(tmp_path):
    with pytest.raises(AlignerError, match="no such file"):
        read_text(tmp_path / "missing.txt")
    with pytest.raises(AlignerError, match="directory"):
        read_text(tmp_path)


def test_short_legacy_text_is_read_in_its_languages_code_page(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("我们对他的贡献深表敬意。他将继续与我们合作。".encode("gbk"))
    assert read_text(path, lang="zh") == "我们对他的贡献深表敬意。他将继续与我们合作。"
    path.write_bytes("Привет, как дела? Всё хорошо.".encode("cp1251"))
    assert read_text(path, lang="ru") == "Привет, как дела? Всё хорошо."


def test_a_decoding_in_the_wrong_script_is_warned_about(tmp_path):
    import pytest

    path = tmp_path / "ru.txt"
    path.write_bytes("Привет, как дела? Всё хорошо у нас.".encode("cp1251"))
    with pytest.warns(UserWarning, match="not in the script of 'ja'"):
        assert read_text(path, lang="ja") == "Привет, как дела? Всё хорошо у нас."


def test_short_latin_1_french_is_read_as_western_european(tmp_path):
    path = tmp_path / "fr.txt"
    path.write_bytes("Très bien, où l'été est déjà là.".encode("latin-1"))
    assert read_text(path, lang="fr") == "Très bien, où l'été est déjà là."


def test_presplit_lines_are_sentences_and_blank_lines_at_the_end_are_no_sentence(tmp_path: Path) -> None:
    path = tmp_path / "a.fr"
    path.write_text("Un.\r\nDeux.\n\n  \n", encoding="utf-8")
    assert read_presplit(path) == ["Un.", "Deux."]
    path.write_text("Un.\n\nDeux.\n", encoding="utf-8")
    with pytest.raises(AlignerError, match=r"a.fr:2: empty line in a --presplit file"):
        read_presplit(path)


def test_utf8_read_in_a_legacy_encoding_given_is_warned_about(tmp_path, recwarn):
    path = tmp_path / "doc.txt"
    path.write_bytes("Le café est très bon.".encode())
    with pytest.warns(UserWarning, match="valid UTF-8, which reads 'cafÃ©' as 'café': check the encoding"):
        assert read_text(path, encoding="cp1252") == "Le cafÃ© est trÃ¨s bon."
    path.write_bytes("Le café est très bon.".encode("cp1252"))
    assert read_text(path, encoding="cp1252") == "Le café est très bon."
    path.write_bytes(b"Plain ASCII.")
    assert read_text(path, encoding="cp1252") == "Plain ASCII."
    assert read_text(path, encoding="utf-8") == "Plain ASCII."
    assert not [w for w in recwarn if "UTF-8" in str(w.message)]


def test_utf8_with_a_stray_legacy_byte_is_refused_rather_than_garbled(tmp_path):
    path = tmp_path / "doc.fr"
    lines = ["Dieu créa le ciel et la terre.", "La lumière fut, et elle était bonne."] * 5
    stray = "\nCafé crème.\n".encode("latin-1")
    path.write_bytes("\n".join(lines[:5]).encode() + stray + "\n".join(lines[5:]).encode())
    with pytest.raises(AlignerError, match=r"UTF-8 but in 2 places \(byte 0xe9 at line 6, column 4\)"):
        read_text(path)
    path.write_bytes("\n".join(lines).encode("latin-1"))
    assert read_text(path).split("\n") == lines


@pytest.mark.parametrize("lang", [None, "fr"])
def test_a_short_utf8_file_with_a_line_in_latin_1_is_refused_rather_than_garbled(tmp_path, lang):
    path = tmp_path / "doc.fr"
    pasted = "L'oiseau chante à l'été.\n".encode("latin-1")
    path.write_bytes("Le chien aboie près de la maison.\n".encode() + pasted)
    with pytest.raises(AlignerError, match=r"line 1 is UTF-8 but byte 0xe0 at line 2, column 17 is not"):
        read_text(path, lang=lang)
    # the same with CR line ends
    path.write_bytes("Le chien aboie près de la maison.\r".encode() + pasted.replace(b"\n", b"\r"))
    with pytest.raises(AlignerError, match=r"line 1 is UTF-8 but byte 0xe0 at line 2, column 17 is not"):
        read_text(path, lang=lang)


@pytest.mark.parametrize("lang", [None, "fr"])
def test_random_bytes_without_nul_are_refused_not_read_as_a_code_page(tmp_path, lang):
    import random

    noise = random.Random(7)
    path = tmp_path / "noise.fr"
    path.write_bytes(bytes(noise.randrange(1, 256) for _ in range(300)))
    with pytest.raises(AlignerError, match="cannot detect the text encoding"):
        read_text(path, lang=lang)


@pytest.mark.parametrize(
    ("text", "encoding", "lang"),
    [  # each holds bytes beyond ASCII that are also UTF-8 (cp1251 0xC2 0xB3 is UTF-8 "³")
        ("Він сказав, що прийде завтра.\nВікно було відчинене. Діти гралися надворі.", "cp1251", "uk"),
        ("Её зовут Анна.\n«МОРЕ» — это роман.", "cp1251", "ru"),
        ("Дјеца се играју. Вјетар дува.\nГђа Петровић је стигла.", "cp1251", "sr"),
        ("Её зовут Анна. Я видел её вчера.", "koi8_r", None),  # with ru, cp1251 is tried first and fits
        ("«ΤΙΠΟΤΕ» είπε.", "cp1253", "el"),
        ("PĂŞUNEA DE LÂNGĂ SAT", "cp1250", "ro"),
        ("PERCHÉ? È… COSÌ.", "cp1252", "it"),
        ("KOÇ’UN ŞİRKETİ BÜYÜDÜ.", "cp1254", "tr"),
        ("PÅ “ØEN” ÆØÅ…\nÞAÐ ER GOTT “Æ”.", "cp1252", "da"),
        ("รัฐบาลประกาศมาตรการชุดหนึ่งเพื่อสนับสนุนเศรษฐกิจ\nรถ\nประชาชนพอใจกับการตัดสินใจ", "tis_620", "th"),
        ("Κεφάλαιο\nΒ΄\nΗ κυβέρνηση ανακοίνωσε μέτρα.", "cp1253", "el"),  # a line alone that is UTF-8
        ("ÉTÉ À MÂCON\nAÇÃO\nÉLÈVES ÂGÉS\n" + "Le gouvernement a annoncé des mesures.\n" * 3, "cp1252", "fr"),
        ("ÉTÉ À MÂCON\n", "cp1252", "fr"),
        ("AÇÃO\nATENÇÃO\n", "cp1252", "pt"),
        ("日本語のテキストです。東京は大きい都市です。", "shift_jis", "ja"),
        ("中文的文本。北京是一个很大的城市，我们喜欢它。", "gb18030", "zh"),
    ],
)
def test_legacy_text_whose_bytes_happen_to_be_utf8_is_still_read(tmp_path, text, encoding, lang):
    path = tmp_path / "doc.txt"
    path.write_bytes(text.encode(encoding))
    assert read_text(path, lang=lang) == text


def test_a_list_of_short_lines_without_end_marks_is_not_taken_for_wrapped_text():
    # subtitles or titles: no line is wider than a wrapped document's
    assert clean_text("你要去哪里\n去车站\n我要赶火车\n等等我\n那就快点\n") == [
        "你要去哪里", "去车站", "我要赶火车", "等等我", "那就快点"
    ]
    # a newspaper column is hard-wrapped however narrow
    column = "Die Regierung hat am\nDienstag beschlossen,\ndie Steuern zu senken.\nDas Amt\nprüft es.\n"
    assert clean_text(column) == [
        "Die Regierung hat am Dienstag beschlossen, die Steuern zu senken.", "Das Amt prüft es."
    ]


def test_a_line_break_in_thai_ends_a_sentence():
    # Thai ends a sentence with a space, not a mark: one sentence a line is never one run-on line
    lines = ["นี่คือประโยคแรกของเรื่องนี้ซึ่งค่อนข้างยาวมาก", "นี่คือประโยคที่สองของเรื่องนี้ที่ยาวพอสมควร", "สั้น"]
    assert clean_text("\n".join(lines)) == lines


def test_each_line_with_no_letter_or_digit_is_left_out_and_counted_alone():
    assert wordless("🎉🎉\n😊\n") == ["🎉🎉", "😊"]
    assert wordless("First sentence here.\n•\n——\n◆◆◆\nSecond sentence here.\n") == ["•", "——", "◆◆◆"]


def test_an_encoding_given_against_the_files_byte_order_mark_or_with_nul_bytes_is_refused(tmp_path):
    utf16 = tmp_path / "de.txt"
    utf16.write_bytes("Der Stadtrat tagte.\n".encode("utf-16"))
    with pytest.raises(AlignerError, match="starts with a UTF-16 byte order mark, but --encoding latin-1"):
        read_text(utf16, encoding="latin-1")
    assert read_text(utf16, encoding="utf-16") == read_text(utf16) == "Der Stadtrat tagte.\n"
    nul = tmp_path / "en.txt"
    nul.write_bytes(b"Hello world.\x00 This is it.\n")
    with pytest.raises(AlignerError, match="holds NUL characters in utf-8"):
        read_text(nul, encoding="utf-8")


def test_html_table_cells_stay_words_apart_and_a_doctype_goes():
    page = "<!DOCTYPE html>\n<table><tr><td>Revenue</td><td>5.2 bn</td></tr></table><p>The council met.</p>"
    assert clean_text(page) == ["Revenue 5.2 bn", "The council met."]


def test_a_word_broken_at_a_line_end_is_joined_where_the_document_writes_it_whole():
    text = (
        "The company announced that its manufac-\n"
        "turing plant in Ohio would close next year because of rising\n"
        "costs and a well-\n"
        "known drop in demand for the cars it has made there for many\n"
        "years, and its sub-\n"
        "sidiary in the north would follow, a statement said on Monday.\n"
        "\n"
        "Manufacturing there employed a well-known workforce of three thousand people.\n"
    )
    first = clean_text(text)[0]
    assert "its manufacturing plant" in first  # written whole below
    assert "a well-known drop" in first  # written with its hyphen below
    assert "its sub-sidiary" in first  # no evidence either way: as written
