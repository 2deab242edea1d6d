"""Each connector on real samples, through the real ingest pipeline and registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.core.fetch import FetchPolicy
from bench.support import corpora
from corpus.connectors import Options, detect_format
from corpus.document import Document
from corpus.ingest import ingest
from corpus.registry import DocFilters, Registry
from corpus.sources import Limits, SourceFile


@pytest.fixture
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    return Registry(f"sqlite:///{tmp_path_factory.mktemp('store') / 'registry.db'}")


def only_documents(registry: Registry) -> list[Document]:
    return registry.documents(DocFilters(include_duplicates=True), limit=10_000)


def test_un_speeches_text_with_filename_pattern(registry: Registry, tmp_path: Path) -> None:
    corpora.un_speeches(tmp_path, ("AFG", "CHN", "FRA"))
    options = Options(
        kind="policy", source="UN General Debate", filename_pattern=corpora.UN_PATTERN
    )
    report = ingest(registry, [str(tmp_path)], options, corpora.UN_TEMPLATES)
    assert (report.added, report.failed) == (3, [])
    docs = {d.metadata["country"]: d for d in only_documents(registry)}
    chn = docs["CHN"]
    assert chn.title == "China — UN General Debate, session 70 (2015)"
    assert chn.published_date == 20150920 and chn.published_ts == 1442707200
    assert chn.language == "en" and chn.kind == "policy" and chn.source == "UN General Debate"
    assert chn.countries_mentioned[0] == "CHN"
    assert "AFG" in docs["AFG"].countries_mentioned
    assert chn.metadata["format"] == "text" and chn.metadata["session"] == "70"


def test_whitehouse_markdown_front_matter(registry: Registry, tmp_path: Path) -> None:
    names = corpora.member_names("whitehouse-2024-2026.tar.gz", "briefings-statements/2025-01/")
    corpora.extract_members("whitehouse-2024-2026.tar.gz", names[:3], tmp_path)
    report = ingest(registry, [str(tmp_path)], Options(kind="policy", source="The White House"))
    assert report.added == 3 and not report.failed
    doc = next(d for d in only_documents(registry) if "America First" in d.title)
    assert doc.title == "President Trump’s America First Priorities"
    assert (
        doc.url
        == "https://www.whitehouse.gov/briefings-statements/2025/01/president-trumps-america-first-priorities/"
    )
    assert doc.published_at is not None
    assert doc.published_at.isoformat() == "2025-01-20T19:00:12+00:00"  # 14:00:12-05:00 in UTC
    assert doc.metadata["tags"] == "briefings-statements"
    assert "MAKE AMERICA SAFE AGAIN" in doc.text and "title:" not in doc.text
    assert "MEX" in doc.countries_mentioned  # "Remain in Mexico"


def test_prc_jsonl_with_map_and_set(registry: Registry, tmp_path: Path) -> None:
    rows = corpora.prc_reports(2)
    path = tmp_path / "prc.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    options = Options(kind="policy", mapping={"text": "content"})
    report = ingest(registry, [str(path)], options, {"published_at": "{year}-03-05"})
    assert report.added == 2 and not report.failed
    doc = registry.documents(DocFilters(language="zh"))[0]
    assert doc.title == rows[0]["title"]
    assert doc.url == rows[0]["url"]
    assert doc.published_date == int(f"{rows[0]['year']}0305")
    assert doc.language == "zh" and "CHN" in doc.countries_mentioned


def test_crud_rag_lines_with_pattern(registry: Registry, tmp_path: Path) -> None:
    [part] = corpora.extract_members(
        "crud-rag-news-zh-2023.tar.gz", ["80000_docs/documents_dup_part_1_part_1"], tmp_path
    )
    first = part.read_text(encoding="utf-8").splitlines()[0]
    options = Options(
        kind="news", line_pattern=corpora.CRUD_LINE_PATTERN, date_default="2023-01-01",
        timezone="Asia/Shanghai",
    )  # fmt: skip
    report = ingest(registry, [str(part)], options)
    assert report.added > 1000 and not report.failed
    docs = registry.documents(DocFilters(include_duplicates=True), limit=100_000)
    embassy = next(d for d in docs if d.text.startswith("人民网柏林7月28日电"))
    assert first.startswith("[ 2023-07-28 16：40 ]")
    assert embassy.published_at is not None
    assert embassy.published_at.isoformat() == "2023-07-28T08:40:00+00:00"  # 16:40 Beijing
    assert embassy.language == "zh"
    assert {"CHN", "DEU"} <= set(embassy.countries_mentioned)


def _ingest_one(registry: Registry, path: Path, **kw: object) -> Document:
    report = ingest(registry, [str(path)], Options(**kw))  # type: ignore[arg-type]
    assert not report.failed, report.failed
    return only_documents(registry)[0]


def test_html_page(registry: Registry, tmp_path: Path) -> None:
    speech = corpora.un_speeches(tmp_path, ("DEU",))[0].read_text(encoding="utf-8")
    paragraphs = "".join(f"<p>{p}</p>" for p in speech.split("\n") if p.strip())
    page = tmp_path / "page.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>Germany at the General Assembly</title>"
        '<meta name="date" content="2015-09-30"></head><body><nav>Home | About</nav>'
        f"<article><h1>Germany at the General Assembly</h1>{paragraphs}</article>"
        "<footer>Copyright</footer></body></html>",
        encoding="utf-8",
    )
    doc = _ingest_one(registry, page)
    assert doc.kind == "news" and doc.metadata["format"] == "html"
    assert doc.title == "Germany at the General Assembly"
    assert doc.published_date == 20150930
    assert "Home | About" not in doc.text and speech.split("\n")[0][:60] in doc.text


def test_pdf_and_docx(registry: Registry, tmp_path: Path) -> None:
    import docx
    from fpdf import FPDF

    speech = corpora.un_speeches(tmp_path, ("IND",))[0]
    text = "".join(c for c in speech.read_text(encoding="utf-8") if c == "\n" or c.isprintable())
    speech.unlink()
    pdf = FPDF()
    pdf.add_page()
    pdf.set_title("India statement")
    pdf.set_font("Helvetica", size=10)
    latin = text[:3000].encode("latin-1", "replace").decode("latin-1")
    pdf.multi_cell(0, 5, latin)
    pdf.output(str(tmp_path / "india.pdf"))
    document = docx.Document()
    document.core_properties.title = "India statement (DOCX)"
    for paragraph in text.split("\n")[:10]:
        document.add_paragraph(paragraph)
    document.save(str(tmp_path / "india.docx"))
    report = ingest(registry, [str(tmp_path)], Options(kind="policy"))
    assert report.added == 2 and not report.failed
    docs = {d.metadata["format"]: d for d in only_documents(registry)}
    assert docs["pdf"].title == "India statement" and docs["pdf"].metadata["pages"] >= 1
    assert docs["docx"].title == "India statement (DOCX)"
    assert text.split()[5] in docs["pdf"].text and text.split("\n")[0][:50] in docs["docx"].text
    assert docs["pdf"].language == docs["docx"].language == "en"


def test_rss_and_atom_feeds(registry: Registry, tmp_path: Path) -> None:
    titles = corpora.xlmt_texts("english", 2)
    items = "".join(
        f"<item><title>Item {i}</title><link>https://example.org/{i}</link>"
        f"<guid>urn:item:{i}</guid><pubDate>Tue, 0{i + 1} Aug 2023 10:00:00 +0200</pubDate>"
        f"<description><![CDATA[<p>{text}</p>]]></description></item>"
        for i, text in enumerate(titles)
    )
    rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{items}</channel></rss>'
    (tmp_path / "feed.xml").write_text(rss, encoding="utf-8")
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Atom Wire</title><entry><id>urn:atom:1</id><title>Atom entry</title>"
        '<link href="https://example.org/atom/1"/><updated>2023-08-05T12:00:00Z</updated>'
        f"<summary>{titles[0]} (atom)</summary></entry></feed>"
    )
    (tmp_path / "atom.xml").write_text(atom, encoding="utf-8")
    report = ingest(registry, [str(tmp_path)], Options())
    assert report.added == 3 and not report.failed
    docs = {d.url: d for d in only_documents(registry)}
    first = docs["https://example.org/0"]
    assert first.source == "Wire" and first.kind == "news" and first.title == "Item 0"
    assert (
        first.published_at is not None
        and first.published_at.isoformat() == "2023-08-01T08:00:00+00:00"
    )
    assert docs["https://example.org/atom/1"].source == "Atom Wire"


def test_social_exports(registry: Registry, tmp_path: Path) -> None:
    english, french = corpora.xlmt_texts("english", 2), corpora.xlmt_texts("french", 2)
    tweets = [{"tweet": {"id_str": str(1000 + i), "full_text": t, "lang": "en",
                         "created_at": "Wed Oct 10 20:19:24 +0000 2018"}}
              for i, t in enumerate(english)]  # fmt: skip
    (tmp_path / "tweets.js").write_text(
        "window.YTD.tweets.part0 = " + json.dumps(tweets), encoding="utf-8"
    )
    telegram = {"name": "Channel", "type": "public_channel", "id": 77, "messages": [
        {"id": 1, "type": "message", "date": "2023-08-01T10:00:00", "date_unixtime": "1690884000",
         "from": "Channel", "text": [french[0][:20], {"type": "bold", "text": french[0][20:]}]},
        {"id": 2, "type": "service", "action": "pin_message", "text": ""},
    ]}  # fmt: skip
    (tmp_path / "result.json").write_text(
        json.dumps(telegram, ensure_ascii=False), encoding="utf-8"
    )
    outbox = {"@context": "https://www.w3.org/ns/activitystreams", "type": "OrderedCollection",
              "orderedItems": [{"type": "Create", "actor": "https://mastodon.example/users/a",
                                "object": {"id": "https://mastodon.example/statuses/1",
                                           "published": "2023-08-02T09:00:00Z",
                                           "content": f"<p>{french[1]}</p>", "contentMap": {"fr": ""}}},
                               {"type": "Announce", "object": "https://elsewhere/1"}]}  # fmt: skip
    (tmp_path / "outbox.json").write_text(json.dumps(outbox, ensure_ascii=False), encoding="utf-8")
    rows = corpora.weibo_rows(3)
    weibo = [{"mblogid": f"M{i}", "text_raw": text, "created_at": "2023-08-03 12:00",
              "screen_name": "用户"} for i, (_, text) in enumerate(rows)]  # fmt: skip
    (tmp_path / "weibo.json").write_text(json.dumps(weibo, ensure_ascii=False), encoding="utf-8")
    report = ingest(registry, [str(tmp_path)], Options())
    assert not report.failed, report.failed
    docs = only_documents(registry)
    by_platform: dict[str | None, list[Document]] = {}
    for d in docs:
        by_platform.setdefault(d.platform, []).append(d)
    assert {k: len(v) for k, v in by_platform.items()} == {
        "x": 2,
        "telegram": 1,
        "mastodon": 1,
        "weibo": 3,
    }
    assert all(d.kind == "social" for d in docs)
    tg = by_platform["telegram"][0]
    assert tg.text == french[0].strip() and tg.language == "fr" and tg.published_ts == 1690884000
    assert by_platform["mastodon"][0].text.strip() == french[1].strip()
    assert {d.language for d in by_platform["weibo"]} == {"zh"}
    assert {d.url for d in by_platform["x"]} == {
        "https://x.com/i/web/status/1000",
        "https://x.com/i/web/status/1001",
    }


def test_format_detection_is_by_content() -> None:
    def fmt(data: bytes, name: str = "noext") -> str:
        return detect_format(SourceFile(name, name, data), Options())

    assert fmt(b"%PDF-1.7 ...") == "pdf"
    assert fmt(b"---\ntitle: x\n---\nbody") == "markdown"
    assert fmt(b"<?xml version='1.0'?><rss><channel/></rss>") == "feed"
    assert fmt(b"<!doctype html><html></html>") == "html"
    assert fmt(b'window.YTD.tweets.part0 = [{"tweet": {}}]') == "tweets-js"
    assert fmt(b'{"name": "c", "messages": []}') == "telegram"
    assert fmt(b'{"type": "OrderedCollection", "orderedItems": []}') == "mastodon"
    assert fmt(b'{"a": 1}\n{"a": 2}\n') == "jsonl"
    assert fmt(b"plain words", "notes.txt") == "text"
    assert fmt(b"a,b\n1,2\n", "table.csv") == "csv"


def test_feed_url_over_a_real_loopback_server(registry: Registry, tmp_path: Path) -> None:
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    texts = corpora.xlmt_texts("spanish", 2)
    items = "".join(
        f"<item><title>Nota {i}</title><link>https://example.org/es/{i}</link>"
        f"<pubDate>Tue, 01 Aug 2023 10:00:00 GMT</pubDate><description>{t}</description></item>"
        for i, t in enumerate(texts)
    )
    site = tmp_path / "site"
    site.mkdir()
    (site / "feed.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Agencia</title>{items}</channel></rss>',
        encoding="utf-8",
    )

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(site), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        # a loopback server: private addresses allowed, as an intranet source would be
        limits = Limits(fetch=FetchPolicy(allow_private=True))
        report = ingest(registry, [f"{url}/feed.xml", f"{url}/missing.xml"], Options(limits=limits))
    finally:
        server.shutdown()
    assert report.added == 2
    assert [f["path"] for f in report.failed] == [f"{url}/missing.xml"]
    assert "404" in report.failed[0]["error"]
    docs = only_documents(registry)
    assert {d.source for d in docs} == {"Agencia"} and {d.language for d in docs} == {"es"}


def test_zip_archive_is_walked(registry: Registry, tmp_path: Path) -> None:
    import zipfile

    speeches = corpora.un_speeches(tmp_path, ("PER", "NGA"), 2016)
    with zipfile.ZipFile(tmp_path / "speeches.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for path in speeches:
            archive.write(path, arcname=f"statements/{path.name}")
            path.unlink()
    options = Options(kind="policy", filename_pattern=corpora.UN_PATTERN)
    report = ingest(registry, [str(tmp_path / "speeches.zip")], options)
    assert report.added == 2 and not report.failed
    origins = sorted(d.origin for d in only_documents(registry))
    assert origins == [
        "speeches.zip::statements/NGA_71_2016.txt",
        "speeches.zip::statements/PER_71_2016.txt",
    ]
