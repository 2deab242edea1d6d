"""Issue 20 §6 end to end: long, list-like ministry replies drive the real 1.5B to its token
limit, through `dragoman ask --json` and the web app's stream and JSON API. Every question
ends in an answer or a refusal with a reason — never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.core.settings import load_settings
from assistant.web.app import create_app
from bench.support.web import PASSWORD, parse_sse, sign_in
from tests.conftest import cli_env, run_cli

pytestmark = pytest.mark.model

TOPICS = ("maritime security in the South China Sea", "energy prices and supply chains",
          "the safety of Singaporeans in the region", "humanitarian aid to Gaza",
          "shipping through the Red Sea", "ASEAN's collective position", "oil markets",
          "the risk of a wider regional conflict")  # fmt: skip


def _written_reply(n: int) -> str:
    """A written parliamentary reply in the shape of real ones: a long numbered list."""
    points = "\n".join(
        f"{i + 1}. On {topic}, the Government has assessed that the impact remains manageable "
        f"but is monitoring developments closely\tand will update the House; (reference {n}.{i})."
        for i, topic in enumerate(TOPICS * 3)
    )
    return (f"Minister for Foreign Affairs Dr Vivian Balakrishnan's Written Reply to "
            f"Parliamentary Questions on the Impact of the Middle East Tensions on Southeast "
            f"Asia, {n} May 2024\n\nQuestion: To ask the Minister what is the impact.\n\n"
            f"Answer:\n{points}\n")  # fmt: skip


QUESTION = ("What did Singapore's Ministry of Foreign Affairs say in: Minister for Foreign Affairs "
            "Dr Vivian Balakrishnan's Written Reply to Parliamentary Questions on the Impact of "
            "the Middle East Tensions on Southeast Asia, 8 May 2024?")  # fmt: skip


@pytest.fixture(scope="module")
def list_home(
    tmp_path_factory: pytest.TempPathFactory, models_dir: Path, default_model: Path
) -> Path:
    root = tmp_path_factory.mktemp("lists")
    home = root / "home"
    home.mkdir()
    (home / "models").symlink_to(models_dir)
    folder = root / "mfa"
    folder.mkdir()
    for n in range(1, 13):
        (folder / f"written-reply-{n:02d}.txt").write_text(_written_reply(n), "utf-8")
    env = cli_env(home)
    done = run_cli("ingest", str(folder), "--kind", "policy", "--source",
                   "Ministry of Foreign Affairs Singapore", "--json", env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    added = run_cli("users", "add", "ana", "--password-stdin", env=env, stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    return home


def _ends_well(result: dict[str, object]) -> None:
    assert isinstance(result["answer"], str)
    if result["refused"]:
        assert result["refusal_reason"], result
    else:  # the model's verified sentences, or the sources' own words (issue 49)
        assert (result["sentences"] or result["quotes"]) and result["citations"], result


@pytest.mark.parametrize("max_tokens", ["24", "60"])
def test_ask_at_the_token_limit_answers_or_refuses(list_home: Path, max_tokens: str) -> None:
    env = cli_env(list_home, DRAGOMAN_LLM_MAX_TOKENS=max_tokens, DRAGOMAN_ASK_K="8",
                  DRAGOMAN_ASK_CONTEXT_TOKENS="600")  # fmt: skip
    done = run_cli("ask", QUESTION, "--json", env=env, timeout=600)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, done.stderr[-3000:]
    _ends_well(json.loads(done.stdout))


def test_the_web_stream_and_api_at_the_token_limit(list_home: Path) -> None:
    settings = load_settings(home=list_home, llm_max_tokens=24, ask_k=8, ask_context_tokens=600)
    with TestClient(create_app(settings)) as client:
        csrf = sign_in(client, "ana")
        headers = {"X-CSRF-Token": csrf}
        streamed = client.post("/api/ask", headers=headers,
                               json={"question": QUESTION, "stream": True})  # fmt: skip
        assert streamed.status_code == 200
        events = parse_sse(streamed.text)
        assert [name for name, _ in events][-1] == "result", events[-1]
        _ends_well(events[-1][1])
        plain = client.post("/api/ask", headers=headers, json={"question": QUESTION})
        assert plain.status_code == 200, plain.text
        _ends_well(plain.json())
