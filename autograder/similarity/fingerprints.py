"""Winnowed fingerprints of a normalised answer (copydetect does the winnowing).

A fingerprint is the hash of ``k`` consecutive normalised tokens. Winnowing (Schleimer,
Wilkerson and Aiken, SIGMOD 2003) keeps the smallest hash of every window of
``window`` consecutive k-grams, which guarantees that any shared run of at least
``k + window - 1`` tokens shares a fingerprint. The selection, its tie-breaking and
later the highlighting of matched spans are copydetect's (``copydetect.utils``).

The k-gram hashes are computed here, vectorised, instead of with
``copydetect.utils.hashed_kgrams``: that function uses Python's ``hash()`` of strings,
which is salted per process (``PYTHONHASHSEED``), so the same class would give
different fingerprints, and slightly different scores, on every run and on every
Dask worker. The hashes below depend only on the tokens.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from copydetect.utils import winnow

from autograder.similarity.normalize import Tokens

# Hashes keep 53 bits: copydetect's winnowing compares them in a float64 buffer.
_BITS = 53
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd: a bijection modulo 2**64


@dataclass(frozen=True)
class Fingerprints:
    """The fingerprints one answer kept after winnowing and boilerplate removal.

    Attributes
    ----------
    hashes : ndarray of int64, shape (m,)
        Selected k-gram hashes (a hash that occurs twice is listed twice).
    positions : ndarray of int64, shape (m,)
        Index of the first token of each selected k-gram.
    """

    hashes: np.ndarray
    positions: np.ndarray

    @property
    def unique(self) -> np.ndarray:
        return np.unique(self.hashes)


def token_ids(words: tuple[str, ...]) -> np.ndarray:
    """A stable 64-bit id per token (the same in every process)."""
    return np.array(
        [int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
         for w in words],
        dtype=np.uint64,
    )


def kgram_hashes(words: tuple[str, ...], k: int) -> np.ndarray:
    """Hash of every run of ``k`` consecutive tokens: shape ``(len(words) - k + 1,)``.

    A polynomial hash modulo 2**64 of the token ids, then mixed so that the winnowing
    minimum is not biased towards particular tokens; returned as non-negative int64.
    """
    if k < 1:
        raise ValueError(f"k-grams need k >= 1 tokens, got k={k}")
    if len(words) < k:
        return np.empty(0, dtype=np.int64)
    ids = token_ids(words)
    with np.errstate(over="ignore"):
        powers = np.cumprod(np.full(k, _MULTIPLIER, dtype=np.uint64))[::-1]
        windows = np.lib.stride_tricks.sliding_window_view(ids, k)
        h = (windows * powers).sum(axis=1, dtype=np.uint64)
        h ^= h >> np.uint64(31)
        h *= _MULTIPLIER
        h ^= h >> np.uint64(29)
    return (h >> np.uint64(64 - _BITS)).astype(np.int64)


def fingerprint(
    tokens: Tokens, k: int, window: int, boilerplate: np.ndarray | None = None
) -> Fingerprints:
    """Winnowed fingerprints of ``tokens``, minus any hash in ``boilerplate``.

    Parameters
    ----------
    tokens : Tokens
        A normalised answer.
    k : int
        Tokens per k-gram (matches shorter than this are noise).
    window : int
        Winnowing window, in k-grams (>= 1).
    boilerplate : ndarray of int64, optional
        Hashes that never count: every k-gram of the release's own code in the cell.
    """
    hashes = kgram_hashes(tokens.words, k)
    if hashes.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return Fingerprints(empty, empty)
    selected, positions = winnow(hashes, window_size=window, remove_duplicates=False)
    selected = np.asarray(selected, dtype=np.int64)
    positions = np.asarray(positions, dtype=np.int64)
    if boilerplate is not None and boilerplate.size:
        keep = ~np.isin(selected, boilerplate)
        selected, positions = selected[keep], positions[keep]
    return Fingerprints(selected, positions)
