"""Malformed inputs: a clear per-file error each, the run goes on, stored documents untouched
(in the registry, and through the CLI in every store: chunk index, BM25, monitoring)."""

from __future__ import annotations

import gzip
import io
import json
import random
import tarfile
import zipfile
from pathlib import Path

from bench.support import corpora
from corpus.connectors import Options
from corpus.ingest import ingest
from corpus.registry import Registry
from tests.conftest import cli_env, run_cli
from tests.integration.test_corpus_store import dump
from tests.reliability.stores import assert_same_state, state

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<rss version="2.0"><channel><title>&lol4;</title><item><title>x</title>
<description>&lol4;</description></item></channel></rss>"""


def make_malformed(directory: Path) -> dict[str, str]:
    """Generate the malformed corpus; returns file name → expected error fragment."""
    rng = random.Random(7)
    (directory / "corrupt.pdf").write_bytes(b"%PDF-1.4\n" + rng.randbytes(3000))
    (directory / "corrupt.docx").write_bytes(b"PK\x03\x04" + rng.randbytes(3000))
    bomb = zipfile.ZipFile(directory / "bomb.zip", "w", zipfile.ZIP_DEFLATED)
    with bomb, bomb.open("zeros.txt", "w") as member:
        for _ in range(200):
            member.write(b"\0" * 1_000_000)
    (directory / "laughs.xml").write_text(BILLION_LAUGHS)
    (directory / "invalid.txt").write_bytes(b"Valid start, then \xff\xfe\xfa bad bytes")
    (directory / "empty.txt").write_bytes(b"")
    (directory / "junk.bin").write_bytes(b"\x00\x01" + rng.randbytes(5000))
    with (directory / "huge_line.txt").open("wb") as handle:
        for _ in range(100):
            handle.write(b"a" * 1_000_000)  # 100 MB, one line
    (directory / "long_line.txt").write_bytes(b"b" * 2_000_000)  # under the file limit
    (directory / "broken.json").write_text('{"text": "unterminated')
    with tarfile.open(directory / "truncated.tar.gz", "w:gz") as archive:
        noise = directory / "noise.txt"
        noise.write_bytes(rng.randbytes(200_000).hex().encode())
        archive.add(noise, arcname="noise.txt")  # incompressible: the cut falls inside it
        noise.unlink()
    data = (directory / "truncated.tar.gz").read_bytes()
    (directory / "truncated.tar.gz").write_bytes(data[: len(data) // 2])
    return {
        "corrupt.pdf": "corrupt PDF",
        "corrupt.docx": "corrupt DOCX",
        "bomb.zip::zeros.txt": "refused",
        "laughs.xml": "XML entity attack",
        "invalid.txt": "invalid UTF-8 at byte 18",
        "empty.txt": "empty file",
        "junk.bin": "binary content",
        "huge_line.txt": "over the 64.0 MB limit",
        "long_line.txt": "exceeds the 1,000,000 limit",
        "broken.json": "invalid JSON",
        "truncated.tar.gz": "unreadable archive",
    }


def test_malformed_inputs_fail_alone_and_touch_nothing(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    corpora.un_speeches(good, ("KEN", "MEX"))
    registry = Registry(f"sqlite:///{tmp_path / 'r.db'}")
    assert ingest(registry, [str(good)], Options(kind="policy")).added == 2
    before = dump(tmp_path / "r.db")

    bad = tmp_path / "bad"
    bad.mkdir()
    expected = make_malformed(bad)
    corpora.un_speeches(bad, ("NZL",))  # one readable file among them
    report = ingest(registry, [str(bad), str(good)], Options(kind="policy"))

    errors = {f["path"].split("/bad/")[-1]: f["error"] for f in report.failed}
    for name, fragment in expected.items():
        assert name in errors, f"{name} produced no error: {errors}"
        assert fragment in errors[name], f"{name}: {errors[name]!r}"
    assert report.added == 1 and report.unchanged == 2
    after = dump(tmp_path / "r.db")
    assert [row for row in after if row in before] == before  # stored documents byte-identical
    assert len(after) == 3


def test_truncated_archive_yields_what_precedes_the_cut(tmp_path: Path) -> None:
    members = [f"{i}.txt" for i in range(30)]
    archive_path = tmp_path / "set.tar.gz"
    with tarfile.open(archive_path, "w:gz") as archive:
        for i, name in enumerate(members):
            path = tmp_path / name
            path.write_text(f"Statement number {i}: " + random.Random(i).randbytes(3000).hex())
            archive.add(path, arcname=name)
    data = archive_path.read_bytes()
    archive_path.write_bytes(data[: len(data) // 2])
    registry = Registry(f"sqlite:///{tmp_path / 'r.db'}")
    report = ingest(registry, [str(archive_path)], Options(kind="policy"))
    assert [f["path"] for f in report.failed] == [str(archive_path)]
    assert "unreadable archive" in report.failed[0]["error"]
    assert 5 <= report.added < 30  # the members before the cut are kept


def make_more_malformed(directory: Path) -> dict[str, str]:
    """Cases beyond `make_malformed`: nested and gzip bombs, a truncated zip, XXE in a feed,
    a hollow DOCX, invalid UTF-8 inside a CSV, a broken JSON Lines record, binary "HTML"."""
    inner = io.BytesIO()
    packed = zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED)
    with packed, packed.open("zeros.txt", "w") as member:
        for _ in range(100):
            member.write(b"\0" * 1_000_000)
    with zipfile.ZipFile(directory / "nested.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner.zip", inner.getvalue())
    with gzip.open(directory / "bomb.txt.gz", "wb") as handle:
        for _ in range(300):
            handle.write(b"a" * 1_000_000)
    rng = random.Random(3)
    with zipfile.ZipFile(directory / "cut.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(20):
            archive.writestr(f"doc{i}.txt", f"Statement {i}: " + rng.randbytes(3000).hex())
    data = (directory / "cut.zip").read_bytes()
    (directory / "cut.zip").write_bytes(data[: len(data) // 2])
    (directory / "xxe.rss").write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<rss version="2.0"><channel><title>t</title><item><title>&x;</title>'
        "<description>&x;</description></item></channel></rss>"
    )
    with zipfile.ZipFile(directory / "hollow.docx", "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    (directory / "bad.csv").write_bytes(
        b"text,author\nTrade talks resumed in Geneva,a\n\xff\xfe x,b\n"
    )
    (directory / "broken.jsonl").write_text(
        '{"text": "The first post about the summit in Geneva."}\n{"text": broken\n'
    )
    (directory / "page.html").write_bytes(b"<html>" + rng.randbytes(4000))
    return {
        "nested.zip::inner.zip": "refused",
        "bomb.txt.gz": "decompression limit",
        "cut.zip": "unreadable archive",
        "xxe.rss": "XML entity attack",
        "hollow.docx": "corrupt DOCX: the package lacks word/document.xml",
        "bad.csv": "invalid UTF-8",
        "broken.jsonl": "invalid JSON on line 2",
        "page.html": "binary content",
    }


def test_cli_ingest_of_malformed_inputs_leaves_every_store_as_it_was(tmp_path: Path) -> None:
    """Through `dragoman ingest` (registry, chunk index, BM25, monitoring): each bad file is
    reported with its reason and every store is unchanged for the documents already there."""
    good = tmp_path / "good"
    good.mkdir()
    corpora.un_speeches(good, ("KEN", "MEX"))
    home = tmp_path / "home"
    flags = ["--kind", "policy", "--filename-pattern", corpora.UN_PATTERN,
             "--set", "published_at={year}-09-25", "--json"]  # fmt: skip
    assert run_cli("ingest", str(good), *flags, env=cli_env(home), timeout=600).returncode == 0
    before = state(home)
    bad = tmp_path / "bad"
    bad.mkdir()
    expected = {**make_malformed(bad), **make_more_malformed(bad)}
    done = run_cli("ingest", str(bad), str(good), *flags, env=cli_env(home), timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    errors = {f["path"].split("/bad/")[-1]: f["error"] for f in report["failed"]}
    for name, fragment in expected.items():
        assert name in errors, f"{name} produced no error: {sorted(errors)}"
        assert fragment in errors[name], f"{name}: {errors[name]!r}"
    assert "Traceback" not in done.stderr
    assert report["added"] == 0 and report["unchanged"] == 2, report
    assert_same_state(state(home), before)
