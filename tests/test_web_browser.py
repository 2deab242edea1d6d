"""End to end in a real headless Chromium (Debian's `chromium`, driven by Playwright) against
the real `dragoman serve` on loopback, the real embedded 1.5B model, real embedder and Chroma.

Saves screenshots of the main pages under docs/screenshots/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import REPO, cli_env
from tests.web_support import CABLE, PASSWORD, build_home, scripted_env, serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = REPO / "docs" / "screenshots"
QUESTION = "Which city will the presidential delegation visit for the World Expo?"
DRAFT_SEEN = (
    "() => { const d = document.querySelector('.draft'); return !!d && d.textContent.length > 0; }"
)

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def corpus_home(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Path:
    home = tmp_path_factory.mktemp("browser") / "home"
    home.mkdir()
    (home / "models").symlink_to(models_dir)
    build_home(home)
    return home


@pytest.fixture(scope="module")
def server(corpus_home: Path, default_model: Path) -> Iterator[str]:
    """The real server on the real embedded 1.5B (the product's default model)."""
    with serving(corpus_home, cli_env(corpus_home, DRAGOMAN_LLM_BACKEND="local")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `.ci/run` installs Debian's chromium")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def _page(browser: Any, server: str) -> Any:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=server)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    return context.new_page()


def _sign_in(page: Any, username: str, shot: str | None = None) -> None:
    page.goto("/")
    assert "/login" in page.url
    if shot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / shot))
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#ask-form")


def _ask(page: Any, question: str) -> str:
    """Ask; returns the draft text seen streaming before the verified answer replaced it."""
    page.fill("#question", question)
    page.click("#ask-button")
    page.wait_for_function(DRAFT_SEEN, timeout=240_000)
    streamed = page.inner_text(".draft")
    page.wait_for_selector(".answer", timeout=300_000)
    return str(streamed)


def test_analyst_sees_streamed_answer_and_the_highlighted_passage(
    browser: Any, server: str
) -> None:
    page = _page(browser, server)
    _sign_in(page, "ana", shot="login.png")
    streamed = _ask(page, QUESTION)
    assert streamed.strip(), "no streamed text appeared before the verified answer"
    answer = page.inner_text(".answer .verified")
    assert "Osaka" in answer, page.inner_text(".answer")
    page.screenshot(path=str(SCREENSHOTS / "chat.png"))
    page.click(".answer .verified .chip")
    mark = page.wait_for_selector("#viewer mark.cited")
    assert mark.is_visible() and mark.inner_text().strip()
    assert "Osaka" in page.inner_text("#viewer-title")
    assert "The White House" in page.inner_text("#viewer-meta")
    page.screenshot(path=str(SCREENSHOTS / "source-viewer.png"))
    page.click(".answer .copy")
    page.wait_for_selector("text=Copied ✓")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "[1]" in copied and "Sources:" in copied and "Osaka" in copied
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .information-container")
    assert "/api/ask" in page.inner_text(".swagger-ui")
    page.screenshot(path=str(SCREENSHOTS / "api-docs.png"))


def test_public_clearance_gets_nothing_from_a_restricted_document(
    browser: Any, server: str
) -> None:
    root = _page(browser, server)
    _sign_in(root, "root")
    found = root.evaluate(
        "fetch('/api/search?q=Grand%20Vizier%20Samarkand&k=3').then(r => r.json())"
    )
    cable = found["results"][0]
    assert cable["text"] == CABLE  # a restricted-clearance user finds it…
    page = _page(browser, server)
    _sign_in(page, "ana")
    searched = page.evaluate(
        "fetch('/api/search?q=Grand%20Vizier%20Samarkand&k=10').then(r => r.json())"
    )
    assert all(r["doc_id"] != cable["doc_id"] for r in searched["results"])  # …ana does not
    direct = page.goto(f"/api/docs/{cable['doc_id']}")
    assert direct.status == 404
    page.goto("/")
    page.wait_for_selector("#ask-form")
    page.fill("#question", "Where will the envoy meet the Grand Vizier?")
    page.click("#ask-button")
    page.wait_for_selector(".answer", timeout=300_000)
    assert "Samarkand" not in page.inner_text("#messages")
    page.screenshot(path=str(SCREENSHOTS / "restricted-refused.png"))


PLANTED = (
    "The presidential delegation will attend the World Expo in Osaka, Japan [1]. "
    "The delegation will also sign a defence treaty in Kyoto on 3 August [1]."
)


def test_unsupported_sentences_are_visibly_marked(browser: Any, corpus_home: Path) -> None:
    """A scripted model plants an unsupported sentence: the UI shows it flagged, not as fact;
    the filters and the answer-language selector reach the server."""
    with serving(corpus_home, scripted_env(corpus_home, [PLANTED])) as url:
        page = _page(browser, url)
        _sign_in(page, "ana")
        page.click("#filters summary")
        page.select_option("#f-kind", "news")
        page.fill("#f-source", "The White House")
        page.select_option("#answer-language", "en")
        page.fill("#question", QUESTION)
        page.click("#ask-button")
        page.wait_for_selector(".answer", timeout=120_000)
        flagged = page.inner_text(".answer .unsupported")
        assert "Kyoto" in flagged and "unverified" in flagged.lower()
        assert "Osaka" in page.inner_text(".answer .sentence:not(.unsupported)")
        conversation = page.evaluate("fetch('/api/conversations').then(r => r.json())")
        latest = conversation["conversations"][0]["id"]
        saved = page.evaluate(f"fetch('/api/conversations/{latest}').then(r => r.json())")
        result = saved["messages"][-1]["result"]
        assert result["language"] == "en"
        assert result["sources"] and all(
            s["source"] == "The White House" for s in result["sources"]
        )
        page.screenshot(path=str(SCREENSHOTS / "unsupported-marked.png"))
