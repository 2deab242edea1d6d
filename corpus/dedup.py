"""Near-duplicate detection: MinHash-LSH over word shingles (character shingles for CJK)."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

import numpy as np

from assistant.core.errors import InputError

if TYPE_CHECKING:  # datasketch imports scipy (~1 s): loaded when a signature is first needed
    from datasketch import MinHash

NUM_PERM = 64
MIN_THRESHOLD, MAX_THRESHOLD = 0.3, 0.95
SCHEME = "affine32"  # pinned: signatures are stored and must stay comparable
_CJK_LANGS = {"zh", "ja", "ko", "th"}
_WORD = re.compile(r"\w+", re.UNICODE)
_MAX_CHARS = 20_000


def shingles(text: str, language: str) -> set[bytes]:
    """Character 3-grams for scripts written without spaces, word 3-grams otherwise."""
    text = unicodedata.normalize("NFKC", text[:_MAX_CHARS]).casefold()
    if language in _CJK_LANGS:
        chars = "".join(ch for ch in text if ch.isalnum())
        grams = {chars[i : i + 3] for i in range(max(len(chars) - 2, 1))}
    else:
        words = _WORD.findall(text)
        grams = {" ".join(words[i : i + 3]) for i in range(max(len(words) - 2, 1))}
    return {g.encode("utf-8") for g in grams if g}


def signature(text: str, language: str) -> MinHash:
    from datasketch import MinHash

    minhash = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)
    minhash.update_batch(list(shingles(text, language)))
    return minhash


def to_bytes(minhash: MinHash) -> bytes:
    return bytes(np.asarray(minhash.hashvalues, dtype=np.uint64).tobytes())


def from_bytes(data: bytes) -> MinHash:
    from datasketch import MinHash

    values = np.frombuffer(data, dtype=np.uint64)
    return MinHash(num_perm=len(values), seed=1, hashvalues=values, scheme=SCHEME)


class NearDuplicateIndex:
    """Originals' signatures in an LSH index; a query returns the best match above threshold."""

    def __init__(self, threshold: float) -> None:
        if not MIN_THRESHOLD <= threshold <= MAX_THRESHOLD:
            raise InputError(
                f"near-duplicate threshold {threshold} is outside "
                f"[{MIN_THRESHOLD}, {MAX_THRESHOLD}] (LSH with {NUM_PERM} permutations)"
            )
        from datasketch import MinHashLSH

        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._signatures: dict[str, MinHash] = {}

    def add(self, doc_id: str, minhash: MinHash) -> None:
        if doc_id not in self._signatures:
            self._lsh.insert(doc_id, minhash)
            self._signatures[doc_id] = minhash

    def original_of(self, minhash: MinHash, exclude: str | None = None) -> str | None:
        best: tuple[float, str] | None = None
        for candidate in self._lsh.query(minhash):
            if candidate == exclude:
                continue
            similarity = float(minhash.jaccard(self._signatures[candidate]))
            if similarity >= self.threshold and (best is None or (similarity, candidate) > best):
                best = (similarity, candidate)
        return best[1] if best else None

    def __len__(self) -> int:
        return len(self._signatures)
