"""Each area's slice of the settings holds every prefixed setting, with its value; the
environment's names are unchanged (`DRAGOMAN_ASK_K` is `settings.ask.k`)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from assistant.core import areas
from assistant.core.settings import Settings, load_settings

AREAS = [c for _, c in inspect.getmembers(areas, inspect.isclass)
         if issubclass(c, areas.Area) and c is not areas.Area]  # fmt: skip


@pytest.mark.parametrize("area", AREAS, ids=lambda c: c.prefix)
def test_an_area_holds_every_setting_of_its_prefix(area: type[areas.Area]) -> None:
    named = {f for f in Settings.model_fields if f.startswith(area.prefix)}
    sliced = {area.prefix + name.rstrip("_") for name in area.model_fields}
    assert sliced == named


def test_a_slice_reads_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DRAGOMAN_ASK_K", "9")
    monkeypatch.setenv("DRAGOMAN_SMTP_FROM", "desk@example.org")
    monkeypatch.setenv("DRAGOMAN_LLM_THREADS", "3")
    settings = load_settings(home=tmp_path)
    assert settings.ask.k == 9 == settings.ask_k
    assert settings.smtp.from_ == "desk@example.org"
    assert settings.llm.threads == 3
    updated = settings.model_copy(update={"ask_k": 4})
    assert updated.ask.k == 4  # a slice follows the object it is cut from
    with pytest.raises(Exception, match="frozen"):
        settings.ask.k = 1  # type: ignore[misc]


def test_the_translation_languages_are_iso_codes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from assistant.core.errors import ConfigError

    assert load_settings(home=tmp_path).ask.translate_into == ["all"]
    monkeypatch.setenv("DRAGOMAN_ASK_TRANSLATE_INTO", '["EN", " zh "]')
    assert load_settings(home=tmp_path).ask.translate_into == ["en", "zh"]
    monkeypatch.setenv("DRAGOMAN_ASK_TRANSLATE_INTO", '["english"]')
    with pytest.raises(ConfigError, match="ISO 639-1"):
        load_settings(home=tmp_path)


def test_the_embedders_are_named_as_get_embedder_knows_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from assistant.core.errors import ConfigError

    settings = load_settings(home=tmp_path)
    assert (settings.embedder, settings.rerank_embedder) == ("usem3", "e5-small")
    monkeypatch.setenv("DRAGOMAN_RERANK_EMBEDDER", "")
    assert load_settings(home=tmp_path).rerank_embedder == ""  # re-ranking off
    monkeypatch.setenv("DRAGOMAN_RERANK_EMBEDDER", "sentence-transformers:/models/labse")
    assert load_settings(home=tmp_path).rerank_embedder == "sentence-transformers:/models/labse"
    monkeypatch.setenv("DRAGOMAN_RERANK_EMBEDDER", "e5-large")
    with pytest.raises(ConfigError, match=r"DRAGOMAN_RERANK_EMBEDDER: .*unknown embedder"):
        load_settings(home=tmp_path)
    monkeypatch.delenv("DRAGOMAN_RERANK_EMBEDDER")
    monkeypatch.setenv("DRAGOMAN_EMBEDDER", "")
    with pytest.raises(ConfigError, match=r"DRAGOMAN_EMBEDDER: .*unknown embedder"):
        load_settings(home=tmp_path)
