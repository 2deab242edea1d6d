"""Where sources state a fact differently: figures, swapped names; and where they do not."""

from __future__ import annotations

from assistant.grounding.disagreement import find_disagreements
from assistant.grounding.stages import Passage


def _passages(*texts: str, same_document: bool = False) -> list[Passage]:
    return [
        Passage(
            n=n,
            doc_id="doc_a" if same_document else f"doc_{n}",
            chunk_id=f"c{n}",
            title=f"Report {n}",
            url=None,
            published_at=None,
            language="en",
            source=None,
            kind="news",
            retrieval_score=0.0,
            quote=text,
            spans=[(0, len(text))],
            chunk_text=text,
        )
        for n, text in enumerate(texts, start=1)
    ]


def _values(*texts: str) -> list[list[str]]:
    return [[s.value for s in d.sides] for d in find_disagreements(_passages(*texts))]


def _sides(*texts: str) -> list[list[tuple[str, list[int]]]]:
    return [
        [(s.value, s.citations) for s in d.sides] for d in find_disagreements(_passages(*texts))
    ]


def test_the_same_statement_with_another_figure_is_a_disagreement() -> None:
    council = "The Legislative Council has {} seats, filled at the election of 4 September 2016."
    texts = (council.format(70), "Turnout was high across the territory.", council.format(170))
    assert _sides(*texts) == [[("70", [1]), ("170", [3])]]
    found = find_disagreements(_passages(*texts))
    assert found[0].to_dict()["sides"][1]["sentence"].startswith("The Legislative Council")


def test_chinese_figures_and_a_swapped_name() -> None:
    assert _values("2018年，我国城镇新增就业1361万人，比上年多增10万人。",
                   "2018年，我国城镇新增就业161万人，比上年多增10万人。") == [["1361", "161"]]  # fmt: skip
    assert _values(
        "The final was won by Chelsea, who beat Manchester City 1-0 in Porto on 29 May.",
        "The final was won by Bayern Munich, who beat Manchester City 1-0 in Porto on 29 May.",
    ) == [["Chelsea", "Bayern Munich"]]


def test_several_sources_on_each_side_are_one_disagreement() -> None:
    evacuated = "The ministry said {} people were evacuated from the coastal districts{}."
    assert _sides(
        evacuated.format("1,200", ""),
        evacuated.format("1200", " on Monday"),
        evacuated.format("2,400", ""),
    ) == [[("1200", [1, 2]), ("2400", [3])]]


def test_what_is_not_a_disagreement() -> None:
    assert not _values(  # another year: another event
        "In 2019 the summit of the group was hosted by Brazil in Brasilia.",
        "In 2020 the summit of the group was hosted by Russia in Brasilia.",
    )
    assert not _values(  # each adds a figure of its own: other facts, not other values
        "Births fell to 14.65 million in 2019, the lowest since records began in 1949.",
        "Births fell to 14.65 million in 2019, and natural growth was 3.34 per thousand.",
    )
    assert not _values(  # unrelated sentences with figures
        "The council has 70 seats.",
        "Exports grew by 5 percent in the first quarter.",
    )
    same = _passages("The council has 70 seats in the chamber of the territory.",
                     "The council has 170 seats in the chamber of the territory.",
                     same_document=True)  # fmt: skip
    assert not find_disagreements(same)  # one document's own versions are not sources


def test_a_report_left_out_of_the_context_still_counts() -> None:
    """Compression keeps one of two near-identical reports: the other, found by the search
    but not given to the model, is still a side (no number, its document named)."""
    from assistant.grounding.disagreement import disagreements_in
    from retrieval.search import SearchResult

    council = "The Legislative Council has {} seats, filled at the election of 4 September 2016."
    shown = _passages(council.format(70))
    other = council.format(170)
    found = [
        SearchResult(chunk_id="c1", doc_id="doc_1", title="Report 1", url=None,
                     published_at=None, language="en", score=1.0, text=council.format(70),
                     start=0, end=80),
        SearchResult(chunk_id="c9", doc_id="doc_9", title="Report 9", url=None,
                     published_at=None, language="en", score=0.5, text=other, start=0, end=80),
    ]  # fmt: skip
    [disagreement] = disagreements_in(shown, found)
    assert [(s.value, s.citations, s.doc_ids) for s in disagreement.sides] == [
        ("70", [1], ["doc_1"]),
        ("170", [], ["doc_9"]),
    ]


def test_what_compression_left_out_of_a_shown_passage_still_counts() -> None:
    """A shown passage quotes only some sentences of its chunk: the ones left out are still
    compared (unnumbered, since [n] cites the quote), so a chunk's unquoted "10.1%" against
    another source's quoted "6.1%" is flagged (RGB zh_fact-8)."""
    from assistant.grounding.disagreement import disagreements_in

    headline = "2019年国民经济运行总体平稳发展主要预期目标较好实现。"
    growth = "2019年我国GDP近百万亿元，增长{}，实现预期目标。"
    shown = _passages(headline + growth.format("6.1%"), headline + growth.format("10.1%"))
    shown[0].quote, shown[1].quote = growth.format("6.1%"), headline  # as compression quotes
    [disagreement] = disagreements_in(shown, [])
    assert [(s.value, s.citations, s.doc_ids) for s in disagreement.sides] == [
        ("6.1", [1], ["doc_1"]),
        ("10.1", [], ["doc_2"]),
    ]
    shown[1].quote = headline + growth.format("10.1%")  # both quoted whole: cited both sides
    assert [s.citations for s in disagreements_in(shown, [])[0].sides] == [[1], [2]]


def test_a_number_in_words_and_in_digits_is_the_same_fact() -> None:
    from assistant.grounding.copies import numerals_as_digits, swapped_span

    assert (
        numerals_as_digits("二十三人，十五，三十，十；three seats, dos")
        == "23人，15，30，10；3 seats, 2"
    )
    diving = (
        "{}米板这个项目上中国曾诞生过熊倪、彭勃、何冲等奥运冠军，但该项目仍是最担心的隐患之一。"
    )
    assert swapped_span("男子" + diving.format("三"), "在男子" + diving.format("3")) is None
    assert not _values("男子" + diving.format("三"), "在男子" + diving.format("3"))  # zh_fact-54
    assert not _values("The council has three seats for the region in the chamber.",
                       "The council has 3 seats for the region in the chamber.")  # fmt: skip
    assert swapped_span("The council has three seats.", "The council has four seats.") == (
        "three", "four")  # fmt: skip


def test_positions_name_the_speakers_on_each_side_and_drop_unreadable_sides() -> None:
    from assistant.positions.disagreements import between_speakers, readable_only

    paris, berlin, again = _passages(
        "In Sudan, the war has driven 11 million people from their homes since April 2023.",
        "In Sudan, the war has driven 8 million people from their homes since April 2023.",
        "In Sudan, the war has driven 8 million people from their homes since April 2023.",
    )
    found = between_speakers([("FRA", [paris]), ("DEU", [berlin]), ("AUT", [again])])
    assert [(s["value"], s["speakers"]) for d in found for s in d["sides"]] == [
        ("11", ["FRA"]), ("8", ["AUT", "DEU"])
    ]  # fmt: skip
    assert readable_only(found, {"doc_1", "doc_2", "doc_3"}) == found
    assert readable_only(found, {"doc_1", "doc_2"}) == []  # AUT's document above the reader
    assert between_speakers([("FRA", [paris])]) == []


def test_money_and_what_a_magnitude_counts_are_units() -> None:
    # a false flag on the UN's 2022 speeches ("food security"): funding against people
    assert not _values(
        "This year we are allocating more than $300 million in funding to food security "
        "initiatives and food assistance alone.",
        "With 193 million people experiencing acute food insecurity this year, we are "
        "allocating another $2.9 billion in funding to food security and food assistance.",
    )
    assert _values(
        "The war has driven 11 million people from their homes in Sudan since April 2023.",
        "The war has driven 8 million people from their homes in Sudan since April 2023.",
    ) == [["11", "8"]]
