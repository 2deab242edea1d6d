"""Watchlists: what a desk follows (countries, keywords, kinds, sources, languages) and the
early-warning thresholds for the series it watches.

Saved in the settings (``DRAGOMAN_WATCHLISTS``, a JSON object of name → watchlist); ``all``
is built in.  Monitoring watches them; the briefing selects its documents with them.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from assistant.core.errors import ConfigError, InputError
from assistant.core.settings import Settings
from corpus.document import Document, Kind


class Watchlist(BaseModel):
    """What a desk follows; an empty list means no restriction on that field."""

    name: str = Field(default="all", min_length=1, max_length=64)
    countries: list[str] = Field(default_factory=list, description="ISO 3166 alpha-3, any of")
    keywords: list[str] = Field(default_factory=list, description="Any of, in title or text")
    kinds: list[Kind] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list, description="Source labels, any of")
    source_ids: list[int] = Field(
        default_factory=list, description="Collected sources by id (`dragoman sources list`)"
    )
    languages: list[str] = Field(default_factory=list)
    # early-warning thresholds for the series this watchlist watches (monitoring)
    alert_z: float = Field(default=4.0, gt=0, le=50, description="Spike z-score")
    alert_min_volume: int = Field(default=5, ge=1, description="Posts a window needs")
    alert_min_negative_delta: float = Field(
        default=0.15, gt=0, le=1, description="Rise in negative share over the baseline"
    )

    @field_validator("countries")
    @classmethod
    def _alpha3(cls, values: list[str]) -> list[str]:
        upper = [v.strip().upper() for v in values]
        bad = [v for v in upper if not re.fullmatch(r"[A-Z]{3}", v)]
        if bad:
            raise ValueError(f"countries must be ISO 3166 alpha-3 codes, got {bad}")
        return upper

    def matches(self, doc: Document) -> bool:
        if self.kinds and doc.kind not in self.kinds:
            return False
        if (self.sources or self.source_ids) and not self._from_named_source(doc):
            return False
        if self.languages and doc.language not in self.languages:
            return False
        if self.countries and not set(self.countries) & set(doc.countries_mentioned):
            return False
        if self.keywords:
            haystack = f"{doc.title}\n{doc.text}".casefold()
            return any(k.casefold() in haystack for k in self.keywords)
        return True

    def _from_named_source(self, doc: Document) -> bool:
        """The document carries a named source label, or was collected from a named source."""
        return doc.source in self.sources or doc.metadata.get("collected_from") in self.source_ids


def watchlist_named(settings: Settings, name: str) -> Watchlist:
    """The saved watchlist ``name`` (``all`` when none is saved under that name)."""
    spec: Any = settings.watchlists.get(name)
    if spec is None:
        if name == "all":
            return Watchlist()
        known = ", ".join(sorted(["all", *settings.watchlists]))
        raise InputError(f"no watchlist {name!r}", fix=f"one of: {known} (DRAGOMAN_WATCHLISTS)")
    try:
        return Watchlist.model_validate({**spec, "name": name})
    except ValidationError as exc:
        raise ConfigError(f"DRAGOMAN_WATCHLISTS[{name!r}] is invalid: {exc}") from exc
