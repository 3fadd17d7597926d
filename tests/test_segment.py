# ruff: noqa: RUF001  (full-width CJK punctuation in test data is deliberate)
import re
import unicodedata
from itertools import accumulate
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.clean import clean_text
from aligner.errors import AlignerError
from aligner.segment import detect_language, is_cjk, split_sentences

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
GOLD = ROOT / "bench" / "gold" / "seeds"
SEED_LANGS = ["id", "fr", "zh", "zh", "ja"]

# Each case is the expected sentences; the input is them joined as is_cjk says (with "" or one space).
CASES = [
    ("fr", ["M. Dupont a payé 3,14 €.", "Il est parti."]),
    ("fr", ["GPT-4.5 est sorti."]),
    ("fr", ["Mme. Durand et Dr. Martin sont là.", "MM. Dupont et Durand aussi."]),
    ("fr", ["« Bonjour ! » dit-il.", "Puis il est parti."]),
    ("fr", ["Voir p. 5 etc. et la suite.", "C'est tout."]),
    ("fr", ["Est-ce vrai ?", "Oui !", "Il l'a dit : « Nous verrons. »", "Fin."]),
    ("fr", ["Il a dit : « Nous verrons.", "Peut-être demain. »", "Puis il est parti."]),
    ("fr", ["La version 3.14 coûte 800 $ le 2024-12-20 à 11:08.", "Super."]),
    ("fr", ["Il a vu Franklin W. Olin.", "Les É.-U. sont grands.", "Il est né au XIXe s. dans le Nord."]),
    ("id", ["Dr. Budi pergi ke Jl. Sudirman No. 5 kemarin.", "Dia membeli buku, pena, dll. lalu pulang."]),
    ("id", ["Harga sahamnya $800 juta.", "Versi GPT-4.5 keluar pada 2024-12-20 11:08."]),
    ("id", ["Bpk. Ahmad datang.", "Mereka membawa kue dsb. untuk acara.", "Harganya Rp. 5.000 per buah."]),
    ("id", ['"Bapak GPT" Alec Radford meninggalkan OpenAI.', "Itu mengejutkan."]),
    ("en", ["Mr. Smith went to Washington D.C. on Monday.", "He met Dr. Jones."]),
    ("en", ["The U.S. economy grew 3.5% in Q2.", "Visit https://example.com/a.b?c=d now."]),
    ("en", ['"We did it!" she said.', "The results (see Fig. 3) were clear.", "What?!", "No way..."]),
    ("de", ["Herr Dr. Müller kam am 3. Mai nach Berlin.", "Er blieb z. B. drei Tage."]),
    ("es", ["¿Dónde está el Sr. García?", "Llegó a las 3 p. m. del lunes."]),
    ("ru", ["Он приехал в 1999 г. в Москву.", "Это т.е. пример."]),
    ("ar", ["هل أنت هنا؟", "نعم أنا هنا."]),
    ("hi", ["यह एक वाक्य है।", "यह दूसरा है।"]),
    ("ko", ["서울에 살아요.", "부산도 좋아요!"]),
    ("el", ["Τι κάνεις;", "Είμαι καλά."]),
    ("fr", ["Un poids lourd.", "« Pendant des heures, nous suivîmes ces pas.", "La bête a fui. »", "Fin."]),
    ("fr", ["Ont été gravis : 1. 1950 : Annapurna, 8078 m.", "Vers 15 h. 30, nous étions là.", "Oui, etc."]),
    ("fr", ["Il a des pommes, des poires, etc.", "Puis il part.", "Voir la p. 5, etc. ; c'est tout."]),
    # German ordinals ("am 6. Juli"); a year or a list number starting a sentence; metric units, which take
    # no full stop, so "m." ends a sentence.
    ("de", ["Am 6. Juli und am 12. Juni stand er an der 8. Stelle.", "Er ist 8481 m.", "Am Ende kam er."]),
    ("de", ["Sie musste umkehren.", "1955 hatte der Berg Ruhe.", "2. Dasselbe gilt für den Makalu."]),
    # An unclosed quotation mark does not stop the splitting for the rest of the paragraph.
    ("de", ["Er sprach vom „Yeti und lachte.", "Jetzt änderte sich das.", "Niemand lachte mehr."]),
    ("en", ["And he said, Here am I.", "Let my people go, that they may serve me.", "Else, if thou refuse."]),
    ("en", ['He said: "We will see.', 'Maybe tomorrow."', "The I.H.E. 1934 reached the top.", "See above."]),
    ("en", ["Read the paper.", "https://arxiv.org/pdf/2005.14165", "It is long."]),
    ("zh", ["他说：「也许他想完成手头的项目。", "这并非完全不可能。」", "对此，有人赞同。"]),
    ("zh", ["会不会是去搞 AGI 了?", "GPT-4.5 很可能就是明天发布（毕竟是最后一天）。", "是 AGI?", "对。"]),
    ("zh", ["Hello world.", "你好……我不知道。", "版本 3.14 发布于 2024-12-20 11:08。"]),
    ("ja", ["彼は言った。", "「大学院に入学するようなものだ。」", "次の文です！"]),
    ("ja", ["彼は「大学院に入学するようなものだ。」と表現した。", "本当ですか？"]),
    # Titles and initials beyond the European languages; a Latin abbreviation inside Chinese or Japanese.
    ("hi", ["डॉ. स्मिथ ने कहा कि यह अच्छा है।", "श्री. शर्मा आए।"]),
    ("vi", ["TS. Smith nói rằng điều này tốt.", "Ông sống ở TP. Hồ Chí Minh.", "PGS. TS. Nam đồng ý."]),
    ("ar", ["قال د. سميث إن هذا جيد.", "ثم غادر."]),
    ("he", ["פרופ. כהן אמר שזה טוב.", "א. ב. יהושע כתב ספר."]),
    ("ru", ["Театр им. Пушкина открылся.", "Это было давно."]),
    ("ru", ["Он купил яблоки, груши и т. д.", "Затем он ушёл.", "Это т. е. пример и т. д. и т. п. всё."]),
    ("zh", ["苹果公司（Apple Inc.）周二发布了新手机。", "Dr. Smith 也来了。"]),
    ("ja", ["Apple Inc.は火曜日に新しい電話を発表した。", "本当ですか？"]),
    # A Korean one-syllable word before a full stop is no initial.
    ("ko", ["빨리 와.", "늦었어.", "이것 좀 봐.", "정말 예쁘다."]),
    # Khmer ends a sentence with a khan, with or without a space after it.
    ("km", ["នេះជាប្រយោគទីមួយ។", "នេះជាប្រយោគទីពីរ។"]),
]


def test_khmer_sentences_end_at_a_khan_followed_by_a_space_too():
    assert split_sentences("នេះជាប្រយោគទីមួយ។ នេះជាប្រយោគទីពីរ៕ ចប់?", "km") == [
        "នេះជាប្រយោគទីមួយ។", "នេះជាប្រយោគទីពីរ៕", "ចប់?"
    ]


def test_a_latin_script_sentence_and_a_space_end_before_chinese_or_japanese():
    quoted = '他说 "We never saw it ever." 他还说情况很严重。'
    assert split_sentences(quoted, "zh") == ['他说 "We never saw it ever."', "他还说情况很严重。"]
    assert split_sentences("He left. 彼は去った。", "ja") == ["He left.", "彼は去った。"]
    bracketed = "It was bad. 「情况很严重」他说。"
    assert split_sentences(bracketed, "zh") == ["It was bad.", "「情况很严重」他说。"]
    assert split_sentences("U.S. 总统和 J. K. 罗琳都来了。", "zh") == ["U.S. 总统和 J. K. 罗琳都来了。"]


@pytest.mark.parametrize(("lang", "sentences"), CASES, ids=[lang for lang, _ in CASES])
def test_sentence_boundaries(lang, sentences):
    joiner = "" if is_cjk(lang) else " "
    assert split_sentences(joiner.join(sentences), lang) == sentences


@pytest.fixture(scope="module")
def seed_sentences() -> list[list[str]]:
    texts = [path.read_text(encoding="utf-8") for path in SEEDS]
    return [split_sentences(text, lang) for text, lang in zip(texts, SEED_LANGS, strict=True)]


def test_translations_split_alike(seed_sentences):
    indonesian, french = seed_sentences[0], seed_sentences[1]
    assert len(indonesian) == 21 and len(french) == 22
    # a quotation opened after a full stop is a sentence of its own, though a « before it was
    # never closed (the French repeats a phrase as a quotation the Indonesian does not have)
    assert french[16].endswith("rôle dans l'innovation technologique de l'IA.")
    assert french[17] == '"un rôle de plus en plus important."'
    assert indonesian[0].startswith('"Bapak GPT" Alec Radford meninggalkan OpenAI')
    assert french[12].startswith('"Nous avons un profond respect')


def test_chinese_web_page(seed_sentences):
    sentences = seed_sentences[2]
    assert (
        "OpenAI 研究主管 Mark Chen 在一份声明中表示：「我们对 Alec 及其贡献有着深深的敬意和感激，"
        "并期待在他探索独立研究的同时，继续与他合作开展项目。」" in sentences
    )
    assert "有人猜测，Radford 的离职预示着 GPT-4.5 就要来了。" in sentences
    for line in ["文章作者: 机器之心", "发布时间: 2024-12-20 11:08", "© THE END", "编辑：杜伟、陈陈"]:
        assert line in sentences


def test_numbered_questions_are_sentences(seed_sentences):
    sentences = seed_sentences[3]
    questions = [s for s in sentences if re.match(r"\d、", s)]
    assert len(questions) == 3 and all(q.endswith("?") for q in questions)
    assert "会不会是去搞 AGI 了?" in sentences


def test_japanese_lines_and_headings(seed_sentences):
    sentences = seed_sentences[4]
    assert sentences[:3] == [
        "Published on",
        "博士号を持たないOpenAIの先駆者アレック・ラドフォード、GPT時代を革命的に変える",
        "アレック・ラドフォード:GPTの知られざる立役者",
    ]
    assert "学術的業績" in sentences
    assert "ラドフォードの論文は19万回以上引用されています。" in sentences
    assert (
        "彼はこの新しい仕事を「大学院に入学するようなものだ」と表現し、"
        "オープンで低ストレスなAI研究環境を享受しました。" in sentences
    )


def test_sentences_stay_inside_blocks(seed_sentences):
    for path, sentences in zip(SEEDS, seed_sentences, strict=True):
        blocks = clean_text(path.read_text(encoding="utf-8"))
        assert all(s == s.strip() and s for s in sentences)
        assert all(any(s in block for block in blocks) for s in sentences)
        assert squeeze("".join(sentences)) == squeeze("".join(blocks))  # nothing lost, nothing reordered


def squeeze(text: str) -> str:
    return "".join(text.split())


def spans(sentences: list[str]) -> set[tuple[int, int]]:
    ends = list(accumulate(len(squeeze(s)) for s in sentences))
    return set(zip([0, *ends], ends, strict=False))


def test_seeds_match_the_human_gold(seed_sentences):
    # bench/gold/seeds holds a careful human segmentation; the target is F1 >= 0.95 on every seed.
    for path, lang, sentences in zip(SEEDS, SEED_LANGS, seed_sentences, strict=True):
        gold = (GOLD / f"{path.name[:3]}.{lang}.txt").read_text(encoding="utf-8").splitlines()
        right = len(spans(gold) & spans(sentences))
        assert 2 * right / (len(gold) + len(sentences)) >= 0.95, path.name


def test_bare_urls_can_be_dropped():
    text = next(path for path in SEEDS if path.name.startswith("002")).read_text(encoding="utf-8")
    kept, dropped = split_sentences(text, "zh"), split_sentences(text, "zh", keep_urls=False)
    assert [s for s in kept if s not in dropped] == [
        "https://www.theinformation.com/briefings/senior-openai-researcher-radford-departs",
        "https://x.com/jeffclune/status/1841167663252615634",
        "https://www.reddit.com/r/singularity/comments/1hi3tth/alec_radford_the_lead_author_of_openais_original/",
    ]
    # Addresses inside a sentence or after a label stay.
    assert "投稿或寻求报道：liyazhou@jiqizhixin.com" in dropped
    assert split_sentences("Mail bob@x.org today. bob@x.org\n\nwww.x.org", "en", keep_urls=False) == [
        "Mail bob@x.org today."
    ]


def test_detect_language_on_seeds():
    assert [detect_language(path.read_text(encoding="utf-8")) for path in SEEDS] == SEED_LANGS


def test_detect_chinese_with_katakana_and_japanese():
    assert detect_language("我们都喜欢玩ポケモン游戏，这个游戏在中国也很流行，很多人每天都在玩。") == "zh"
    assert detect_language("富兰克林・W・奥林工程学院非常重视实用教育。") == "zh"
    assert detect_language("日本語の文章です。東京大学で研究しています。") == "ja"
    assert detect_language("コンピュータサイエンス") == "ja"


@pytest.mark.parametrize("text", ["", "12345 !!! 3.14", "https://example.com/a_b", "🙂🙂"])
def test_detect_language_refuses_text_without_words(text):
    with pytest.raises(AlignerError):
        detect_language(text)


def test_is_cjk():
    assert all(map(is_cjk, ["zh", "ja", "ZH", "zh-TW", "zh_Hans", "yue"]))
    assert not any(map(is_cjk, ["ko", "fr", "id", "th", "en"]))


@settings(max_examples=150, deadline=None)
@given(st.text(), st.sampled_from(["id", "fr", "zh", "ja", "en", "ko", "xx"]))
def test_split_never_raises_and_loses_nothing(text, lang):
    sentences = split_sentences(text, lang)
    assert all(s and s == s.strip() for s in sentences)
    squeeze = "".join("".join(sentences).split())
    assert squeeze == "".join("".join(clean_text(text)).split())


# Words start with a letter so that no line starts like a list marker ("1. "), which cleaning removes.
LETTER = st.sampled_from("abcXYZéжя中日かカ한")
WORD = st.builds(str.__add__, LETTER, st.text(st.sampled_from("abdeXYZéøßжя中文字日本かなカナ한국0123")))
SEPARATORS = [" ", ", ", ". ", "! ", "? ", "。", "！", "？", "、", "… ", ": ", " « ", " » ", "「", "」"]
SEPARATORS += ["“", "” ", " (", ") ", "\n", "\n\n"]


def glue(first: str, rest: list[tuple[str, str]]) -> str:
    return first + "".join(separator + word for separator, word in rest)


TEXT = st.builds(glue, WORD, st.lists(st.tuples(st.sampled_from(SEPARATORS), WORD)))


@settings(max_examples=150, deadline=None)
@given(TEXT, st.sampled_from(["id", "fr", "zh", "ja", "en"]))
def test_plain_text_keeps_every_character(text, lang):
    squeeze = "".join("".join(split_sentences(text, lang)).split())
    assert squeeze == "".join(unicodedata.normalize("NFC", text).split())


@pytest.mark.parametrize(
    "text",
    [
        "東京都知事選挙結果発表。投票率五十五パーセント。",  # a headline
        "東京都、新型コロナ感染者数発表",
        "株式会社日立製作所（東京都千代田区）",  # a company's name
    ],
)
def test_han_characters_alone_given_as_japanese_are_not_called_chinese(text):
    from aligner.segment import identified_otherwise

    assert identified_otherwise("ja", text) is None


def test_chinese_prose_given_as_japanese_is_called_chinese():
    from aligner.segment import identified_otherwise

    seeds = Path(__file__).resolve().parents[1] / "seeds"
    chinese = next(seeds.glob("003_*.txt")).read_text(encoding="utf-8")
    assert identified_otherwise("ja", chinese) == "zh"
    assert identified_otherwise("zh", chinese) is None


KHMER = "នេះជាប្រយោគទីមួយ។ នេះជាប្រយោគទីពីរ។ នេះជាប្រយោគទីបី។"
THAI = "นี่คือประโยคแรกของเรื่องนี้ซึ่งค่อนข้างยาวมาก นี่คือประโยคที่สอง"
BURMESE = "ဒါက ပထမ စာကြောင်း ဖြစ်ပါတယ်။ ဒါက ဒုတိယ ဖြစ်ပါတယ်။ ဒါက တတိယ ဖြစ်ပါတယ်။"


@pytest.mark.parametrize(
    ("lang", "text", "found"),
    [
        *[("km", THAI, "th"), ("th", KHMER, "km"), ("my", THAI, "th"), ("km", BURMESE, "my")],
        ("en", KHMER, "km"),
        ("km", "This is a plain English sentence about the city council and its budget.", "en"),
        *[("km", KHMER, None), ("th", THAI, None), ("my", BURMESE, None), ("shn", BURMESE, None)],
        ("pi", THAI, None),  # Pali, which we know no script of, written in Thai letters
    ],
)
def test_a_script_only_some_languages_write_tells_a_wrong_language_code(lang, text, found):
    from aligner.segment import identified_otherwise

    assert identified_otherwise(lang, text) == found


def test_thai_sentences_end_where_pythainlp_says_and_a_space_comes_before():
    pytest.importorskip("pythainlp")
    sentences = [
        "สภาเมืองอนุมัติงบประมาณใหม่เมื่อวันจันทร์",
        "แผนนี้เพิ่มเงิน 3.5 ล้านดอลลาร์สำหรับการขนส่งสาธารณะ",
        "ดร.สมิธกล่าวว่าการลงคะแนนสูสีมาก",  # "ดร." (Dr.) stays with the name
        "เธอขอบคุณผู้อยู่อาศัยที่อดทน",
    ]
    assert split_sentences(" ".join(sentences), "th") == sentences
    assert "ดร. สมชาย มาที่บ้านเมื่อวานนี้" in split_sentences("ฉันไปตลาดกับแม่ ดร. สมชาย มาที่บ้านเมื่อวานนี้", "th")
