"""The reading view of a document (Library page and the chat's source viewer): Markdown
rendered, hard line breaks reflowed, nothing from the document able to act in the page,
and cited ranges marked without breaking the page's structure."""

from __future__ import annotations

from html.parser import HTMLParser

from assistant.web.reading import render_text

VOID = {"br", "hr"}


class _Nesting(HTMLParser):
    """Fails on a closing tag that does not close the innermost open one."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, (tag, self.open)
        self.open.pop()


def _well_formed(html: str) -> None:
    parser = _Nesting()
    parser.feed(html)
    assert parser.open == []


TEXT = (
    "# Joint Statement\n\nThe two sides **agreed to\nresume** talks in Geneva.\n"
    "A second line of the same paragraph.\n\n- first point\n- second point\n\n"
    "<script>alert(1)</script> [a link](javascript:alert(2)) ![img](http://x.example/i.png)"
)


def test_markdown_is_rendered_and_lines_reflowed_safely() -> None:
    html = render_text(TEXT)
    assert "<h1>Joint Statement</h1>" in html and "<strong>agreed to\nresume</strong>" in html
    assert "<br" not in html  # a hard line break inside a paragraph is reflowed
    assert "<li>first point</li>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html  # raw HTML shown as text
    assert 'href="javascript' not in html and "<img" not in html
    _well_formed(html)


def test_a_cited_range_across_emphasis_and_paragraphs_stays_well_formed() -> None:
    start = TEXT.index("The two sides")
    end = TEXT.index("first point") + len("first")
    html = render_text(TEXT, [(start, end)])
    _well_formed(html)
    marked = "".join(part.split("</mark>")[0] for part in html.split('<mark class="cited">')[1:])
    assert "The two sides" in marked and "resume" in marked and "first" in marked
    assert "Joint Statement" not in marked and "second point" not in marked
    assert "<li>" in html  # the list item is still one (its marker was not marked)


def test_a_range_that_starts_or_ends_at_emphasis_keeps_it() -> None:
    text = "Intro.\n\n**Members of the delegation:**\n\nThe envoy."
    start = text.index("**")
    html = render_text(text, [(start, text.index("The envoy"))])
    assert "<strong>" in html and "**" not in html
    _well_formed(html)


def test_the_documents_own_marker_characters_change_nothing() -> None:
    sneaky = "before \ue000 inside \ue001 after"
    assert "<mark" not in render_text(sneaky)
    html = render_text(sneaky, [(0, 6)])
    assert html.count('<mark class="cited">') == 1 and "inside" not in html.split("</mark>")[0]
    _well_formed(html)
