"""The settings of each area, as the component that uses them receives them.

The environment stays flat (``DRAGOMAN_ASK_K``, ``DRAGOMAN_LLM_THREADS`` …: documented
interfaces); :class:`assistant.core.settings.Settings` hands each area its slice
(``settings.ask.k``, ``settings.llm.threads``), the prefixed fields without their prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, SecretStr

Clearance = Literal["public", "internal", "restricted"]


class Area(BaseModel):
    """One area's settings: the fields named ``prefix + name`` (a trailing ``_`` dropped)."""

    model_config = ConfigDict(frozen=True)
    prefix: ClassVar[str]

    @classmethod
    def of(cls, settings: Any) -> Self:
        """The slice of ``settings`` (already validated there: not validated again)."""
        values = {
            name: getattr(settings, cls.prefix + name.rstrip("_")) for name in cls.model_fields
        }
        return cls.model_construct(**values)


class LLMSettings(Area):
    """The model: which backend, and the embedded engine's knobs."""

    prefix = "llm_"
    backend: str
    model_path: Path | None
    threads: int
    context_tokens: int
    max_tokens: int
    temperature: float
    seed: int
    prompt_cache_mb: int
    timeout_s: float


class OpenAISettings(Area):
    """An OpenAI-compatible endpoint."""

    prefix = "openai_"
    base_url: str | None
    api_key: SecretStr | None
    model: str
    schema_mode: Literal["json_schema", "json_object"]


class AskSettings(Area):
    """Answering: passages, context budget, sentences, output mode, query translation."""

    prefix = "ask_"
    k: int
    context_tokens: int
    max_sentences: int
    output: Literal["auto", "json", "text"]
    translate_query: bool
    translate_into: list[str]
    save_runs: bool
    write: bool


class BriefSettings(Area):
    """The morning briefing: its window, size, story threshold, clearance and schedules."""

    prefix = "brief_"
    cutoff_hour: int
    max_stories: int
    max_sentences: int
    story_threshold: float | None
    clearance: Clearance
    schedules: list[dict[str, Any]]


class SmtpSettings(Area):
    """Where briefing email goes out."""

    prefix = "smtp_"
    host: str | None
    port: int
    starttls: bool
    user: str | None
    password: SecretStr | None
    from_: str


class DraftSettings(Area):
    """Drafting official posts: extra sensitive terms, the Mastodon instance's limit."""

    prefix = "draft_"
    sensitive_terms: Path | None
    mastodon_limit: int


class MonitorSettings(Area):
    """Monitoring: scoring at ingest, the alert webhook, campaign rules, the forecast."""

    prefix = "monitor_"
    on_ingest: bool
    webhook: str | None
    slack: SecretStr | None
    teams: SecretStr | None
    telegram: str | None
    webhook_clearance: Clearance
    campaign_minutes: int
    campaign_accounts: int
    campaign_similarity: float
    forecast_days: int


class RateSettings(Area):
    """Per-user rate limits of the web app."""

    prefix = "rate_"
    asks_per_minute: int
    requests_per_minute: int
    logins_per_minute: int
    login_ceiling: int


class FusionSettings(Area):
    """How dense and lexical rankings are fused."""

    prefix = "fusion_"
    lexical_weight: float
    rrf_k: int
    translation_weight: float


class AuditSettings(Area):
    """The audit chain's key and the signed head kept outside the database."""

    prefix = "audit_"
    key: SecretStr | None
    key_file: Path | None
    head_file: Path | None


class CollectSettings(Area):
    """Collection from sources: address policy, politeness, limits, schedule."""

    prefix = "collect_"
    allow_private: bool
    user_agent: str
    timeout_s: float
    deadline_s: float
    concurrency: int
    max_mb: float
    max_redirects: int
    host_delay_s: float
    depth: int
    unhealthy_hours: float
    tick_s: int
    x_bearer_token: SecretStr | None
    x_api_url: str
