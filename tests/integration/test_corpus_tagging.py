"""Language identification and the multilingual country gazetteer."""

from __future__ import annotations

import pytest

from bench.support import corpora
from corpus.countries import countries_in, country_name
from corpus.language import detect_language, normalise_language_code


@pytest.mark.parametrize(("directory", "code"), [("english", "en"), ("french", "fr"),
                                                 ("arabic", "ar"), ("spanish", "es")])  # fmt: skip
def test_language_of_real_posts(directory: str, code: str) -> None:
    texts = corpora.xlmt_texts(directory, 20)
    detected = [detect_language(t) for t in texts]
    assert detected.count(code) >= 17, detected  # short, noisy tweets: allow a few misses


def test_language_of_chinese_and_russian() -> None:
    weibo = [text for _, text in corpora.weibo_rows(20)]
    assert [detect_language(t) for t in weibo].count("zh") >= 18
    assert detect_language("Министерство иностранных дел России сделало заявление.") == "ru"
    assert detect_language("12345 !!! ---") == "und"


def test_language_codes_are_normalised() -> None:
    assert normalise_language_code("en-US") == "en"
    assert normalise_language_code("zh_Hans") == "zh"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("中国外交部发言人表示", ["CHN"]),
        ("La Chine et la France ont signé un accord.", ["CHN", "FRA"]),
        ("Китай и Россия провели переговоры; визит в Китае.", ["CHN", "RUS"]),
        ("China and the U.S. discussed South Sudan and Sudan.", ["CHN", "USA", "SSD", "SDN"]),
        ("الصين والولايات المتحدة", ["CHN", "USA"]),
        ("Alemania y Brasil", ["DEU", "BRA"]),
        ("沿海地区发展迅速", []),  # 海地 (Haiti) inside 沿海地区 is not a mention
        ("the usa of us", []),  # short upper-case aliases only in upper case
    ],
)
def test_countries_in_several_scripts(text: str, expected: list[str]) -> None:
    assert countries_in(text) == expected


def test_countries_in_real_speech(tmp_path: object) -> None:
    from pathlib import Path

    [speech] = corpora.un_speeches(Path(str(tmp_path)), ("UKR",), 2022)
    found = countries_in(speech.read_text(encoding="utf-8"))
    assert {"UKR", "RUS"} <= set(found)


def test_country_names() -> None:
    assert country_name("CHN") == "China"
    assert country_name("EU") == "European Union"
