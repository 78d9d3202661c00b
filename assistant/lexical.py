"""Lexical matching: the analyser (normalised, stemmed terms) and a BM25 inverted index.

Owns: how text becomes search terms (``analyze``), and BM25 scoring over an inverted index whose
per-query cost depends on the postings of the query's terms, not on the corpus size. Also the term
statistics (``idf``) that answerers use to weigh question words. Does not own: where chunk texts
are stored, or fusion with dense retrieval.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import numpy as np

from .normalize import tokens

STOPWORDS = frozenset(
    """a an the and or but nor of to in on at by for with from as into onto over under about
    above below between through during before after since until than then so such that this these
    those there here it its it's is are was were be been being am do does did done doing have has
    had having will would shall should can could may might must not no yes i me my we our us you
    your he him his she her they them their what which who whom whose when where why how
    all any both each few more most other some own same very too just also only again further
    once s t if while because until up down out off via per""".split()
)

_SUFFIXES = ("ments", "ment", "ings", "ing", "edly", "ed", "ions", "ion", "es", "s")


def stem(word: str) -> str:
    """A light suffix stripper: commitment/committed/commits -> commit; programmes -> program."""
    if word.endswith("'s"):
        word = word[:-2]
    if not word.isalpha() or len(word) <= 4:
        return word
    if word.endswith("ies") and len(word) > 5:
        return word[:-3] + "y"
    for suf in _SUFFIXES:
        if word.endswith(suf) and len(word) - len(suf) >= 4:
            if suf == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: -len(suf)]
            break
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]
    return word


def analyze(text: str) -> list[str]:
    """Search terms of ``text``: normalised tokens, stopwords dropped, stemmed."""
    return [stem(t) for t in tokens(text) if t not in STOPWORDS]


class BM25Index:
    """BM25 (Okapi, k1=1.2, b=0.75) over an inverted index of analysed terms."""

    def __init__(self, docs: Iterable[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        postings: dict[str, list[tuple[int, int]]] = {}
        lengths: list[int] = []
        for i, terms in enumerate(docs):
            lengths.append(len(terms))
            for term, tf in Counter(terms).items():
                postings.setdefault(term, []).append((i, tf))
        self.n = len(lengths)
        self.doc_len = np.asarray(lengths, dtype=np.float32)
        self.avgdl = float(self.doc_len.mean()) if self.n else 1.0
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {
            t: (np.fromiter((d for d, _ in p), np.int32), np.fromiter((f for _, f in p), np.float32))
            for t, p in postings.items()
        }

    def df(self, term: str) -> int:
        p = self.postings.get(term)
        return 0 if p is None else len(p[0])

    def idf(self, term: str) -> float:
        """BM25+ style idf, always positive; unseen terms get the highest value."""
        return math.log(1.0 + (self.n - self.df(term) + 0.5) / (self.df(term) + 0.5))

    def search(self, terms: list[str], k: int) -> list[tuple[int, float]]:
        """Top ``k`` (doc index, score), best first."""
        if not self.n or not terms:
            return []
        acc = np.zeros(self.n, dtype=np.float32)
        for term, qtf in Counter(terms).items():
            p = self.postings.get(term)
            if p is None:
                continue
            docs, tf = p
            norm = self.k1 * (1 - self.b + self.b * self.doc_len[docs] / self.avgdl)
            acc[docs] += self.idf(term) * tf * (self.k1 + 1) / (tf + norm) * qtf
        hits = np.flatnonzero(acc)
        if len(hits) > k:
            hits = hits[np.argpartition(-acc[hits], k - 1)[:k]]
        order = hits[np.argsort(-acc[hits], kind="stable")]
        return [(int(i), float(acc[i])) for i in order]
