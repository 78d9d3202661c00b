"""Lexical matching: the analyser (normalised, stemmed terms) and a BM25 inverted index.

Owns: how text becomes search terms (``analyze``), and BM25 scoring over an inverted index whose
per-query cost depends on the postings of the query's terms, not on the corpus size. Also the term
statistics (``idf``) that answerers use to weigh question words. Does not own: where chunk texts
are stored, or fusion with dense retrieval.

The stemmer and the stop list are hand-written on purpose: the libraries were measured against them
(extractive answerer and BM25 alone, on the dev parts of the four eval corpora; the test parts were
not looked at) and did not do as well:
- Snowball English (``snowballstemmer``, or ``PyStemmer``: the same stems) lost a little wherever it
  differed. Unweighted mean of the corpora: answer accuracy 0.303 -> 0.290, refusal accuracy
  0.594 -> 0.573, token F1 0.280 -> 0.271; BM25 alone, recall@1 0.732 -> 0.704 and MRR
  0.821 -> 0.805 over 142 questions (the gold passage ranked higher with this stemmer 10 times,
  with Snowball once). The pure-Python ``snowballstemmer`` also makes ``analyze`` about 18x slower
  (all seed lines: 12 ms -> 215 ms); ``PyStemmer`` is as fast as this one.
- Packaged stop lists are made for topic filtering and drop content words ("computer", "system",
  "click", "value", "first"): ``stop-words`` (1,333 words) cut token F1 to 0.220 and refusal
  accuracy to 0.406, scikit-learn's list cut F1 to 0.268. Snowball's own English list scores about
  the same as this one, but no PyPI package ships it (NLTK's copy needs a download at run time).
The index stores each chunk's analysed terms, so a change to ``stem`` or ``STOPWORDS`` must come
with a bump of the index's schema version, or old indexes would mix two analysers.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping

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
    """BM25 (Okapi, k1=1.2, b=0.75) over a compressed inverted index of analysed terms.

    Postings live in flat arrays (CSR): term ``j`` owns ``docs[offsets[j]:offsets[j + 1]]`` (doc
    numbers, ascending) and the matching ``weights`` (each posting's BM25 term-frequency factor,
    precomputed), so a query touches only its own terms' postings and no Python loop runs over the
    corpus. Building streams the documents; ``to_arrays``/``from_arrays`` persist it without pickle.
    """

    def __init__(self, docs: Iterable[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        vocab: dict[str, int] = {}
        post_term, post_doc, post_tf, lengths = array("i"), array("i"), array("i"), array("i")
        for i, terms in enumerate(docs):
            lengths.append(len(terms))
            counts = Counter(terms)
            post_term.extend([vocab.setdefault(t, len(vocab)) for t in counts])
            post_tf.extend(counts.values())
            post_doc.extend([i] * len(counts))
        self.n = len(lengths)
        self.doc_len = np.frombuffer(lengths, dtype=np.int32).astype(np.float32)
        self.avgdl = float(self.doc_len.mean()) if self.n else 1.0
        terms_arr = np.frombuffer(post_term, dtype=np.int32)
        order = np.argsort(terms_arr, kind="stable")  # by term, then by doc (stable)
        self.docs = np.frombuffer(post_doc, dtype=np.int32)[order]
        tf = np.frombuffer(post_tf, dtype=np.int32)[order].astype(np.float32)
        del post_doc, post_tf
        self.offsets = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms_arr, minlength=len(vocab)), out=self.offsets[1:])
        norm = k1 * (1 - b + b * self.doc_len[self.docs] / self.avgdl)
        self.weights = (tf * (k1 + 1) / (tf + norm)).astype(np.float32)
        self.vocab = vocab

    # ------------------------------------------------------------------------ persistence
    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays (for ``np.savez``) from which ``from_arrays`` rebuilds this index."""
        return {
            "bm25_params": np.array([self.k1, self.b, self.avgdl], dtype=np.float64),
            "bm25_vocab": pack_strings(list(self.vocab)),
            "bm25_offsets": self.offsets,
            "bm25_docs": self.docs,
            "bm25_weights": self.weights,
            "bm25_doc_len": self.doc_len,
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> BM25Index:
        self = cls.__new__(cls)
        self.k1, self.b, self.avgdl = (float(x) for x in arrays["bm25_params"])
        terms = unpack_strings(arrays["bm25_vocab"])
        self.vocab = dict(zip(terms, range(len(terms)), strict=True))
        self.offsets = arrays["bm25_offsets"]
        self.docs = arrays["bm25_docs"]
        self.weights = arrays["bm25_weights"]
        self.doc_len = arrays["bm25_doc_len"]
        self.n = len(self.doc_len)
        return self

    # ---------------------------------------------------------------------------- queries
    def df(self, term: str) -> int:
        j = self.vocab.get(term)
        return 0 if j is None else int(self.offsets[j + 1] - self.offsets[j])

    def idf(self, term: str) -> float:
        """BM25+ style idf, always positive; unseen terms get the highest value."""
        return math.log(1.0 + (self.n - self.df(term) + 0.5) / (self.df(term) + 0.5))

    def search(self, terms: list[str], k: int) -> list[tuple[int, float]]:
        """Top ``k`` (doc index, score), best first; ties go to the lower doc index."""
        if not self.n or not terms or k <= 0:
            return []
        docs_parts, score_parts = [], []
        for term, qtf in Counter(terms).items():
            j = self.vocab.get(term)
            if j is None:
                continue
            lo, hi = int(self.offsets[j]), int(self.offsets[j + 1])
            docs_parts.append(self.docs[lo:hi])
            score_parts.append(self.weights[lo:hi] * np.float32(self.idf(term) * qtf))
        if not docs_parts:
            return []
        if len(docs_parts) == 1:
            hits, scores = docs_parts[0], score_parts[0]
        elif sum(len(d) for d in docs_parts) * 8 >= self.n:
            # Many postings: one dense accumulator is cheaper than sorting them.
            acc = np.zeros(self.n, dtype=np.float32)
            for d, sc in zip(docs_parts, score_parts, strict=True):
                acc[d] += sc  # a term's doc numbers are unique, so += is exact
            hits = np.flatnonzero(acc)
            scores = acc[hits]
        else:
            all_docs = np.concatenate(docs_parts)
            hits, inverse = np.unique(all_docs, return_inverse=True)
            scores = np.bincount(inverse, weights=np.concatenate(score_parts)).astype(np.float32)
        if len(hits) > k:
            top = np.argpartition(-scores, k - 1)[:k]
            top.sort()  # back to doc order, so the stable sort below breaks ties by doc
            hits, scores = hits[top], scores[top]
        order = np.argsort(-scores, kind="stable")
        return [(int(hits[i]), float(scores[i])) for i in order]


def pack_strings(strings: list[str]) -> np.ndarray:
    """Strings (without NUL) as one uint8 array: loads far faster than a pickled list."""
    return np.frombuffer("\0".join(strings).encode("utf-8"), dtype=np.uint8)


def unpack_strings(packed: np.ndarray) -> list[str]:
    return packed.tobytes().decode("utf-8").split("\0") if packed.size else []


def question_weights(question: str, idf: Callable[[str], float]) -> dict[str, float]:
    """Each analysed question term and its weight: its idf in the corpus, floored at 0.1."""
    return {t: max(idf(t), 0.1) for t in dict.fromkeys(analyze(question))}


def coverage(weights: dict[str, float], text: str) -> float:
    """The weighted share of the question's terms (``question_weights``) that ``text`` holds."""
    total = sum(weights.values())
    if not total:
        return 0.0
    found = set(analyze(text))
    return sum(w for t, w in weights.items() if t in found) / total
