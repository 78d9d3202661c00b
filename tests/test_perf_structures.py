"""The structures that keep cost bounded as the corpus grows, checked for correctness.

BM25's compressed inverted index must score exactly like textbook BM25 (both of its merge paths),
survive its array round trip, and the index must reload it from disk; embedding batches must cover
every text once within the attention budget; opening the vector store or re-indexing an unchanged
corpus must not load the embedding model. Speed itself is measured by scripts/bench.py, not here.
"""

from __future__ import annotations

import math
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from assistant.embeddings import ATTENTION_BUDGET, _batches
from assistant.lexical import BM25Index, pack_strings, unpack_strings


def reference_bm25(docs: list[list[str]], query: list[str], k1=1.2, b=0.75) -> dict[int, float]:
    n = len(docs)
    avgdl = sum(map(len, docs)) / n if n else 1.0
    df = Counter(t for d in docs for t in set(d))
    scores: dict[int, float] = {}
    for term, qtf in Counter(query).items():
        if term not in df:
            continue
        idf = math.log(1.0 + (n - df[term] + 0.5) / (df[term] + 0.5))
        for i, d in enumerate(docs):
            tf = d.count(term)
            if tf:
                norm = k1 * (1 - b + b * len(d) / avgdl)
                scores[i] = scores.get(i, 0.0) + idf * tf * (k1 + 1) / (tf + norm) * qtf
    return scores


def random_corpus(rng: random.Random, n: int, vocab: int) -> list[list[str]]:
    words = [f"w{i}" for i in range(vocab)]
    # Zipf-like: a few very common terms (dense merge path), many rare ones (sparse path).
    weights = [1 / (i + 1) for i in range(vocab)]
    return [rng.choices(words, weights, k=rng.randint(0, 25)) for _ in range(n)]


@pytest.mark.parametrize("seed", range(12))
def test_bm25_matches_the_textbook_formula(seed: int) -> None:
    rng = random.Random(seed)
    docs = random_corpus(rng, rng.choice([1, 5, 60, 400]), rng.choice([5, 50, 500]))
    index = BM25Index(docs)
    for _ in range(8):
        query = [f"w{rng.randrange(600)}" for _ in range(rng.randint(1, 6))]
        k = rng.randint(1, 30)
        want = reference_bm25(docs, query)
        got = index.search(query, k)
        assert len(got) == min(k, len(want))
        ranked = sorted(want.values(), reverse=True)
        for (doc, score), best in zip(got, ranked, strict=False):
            assert score == pytest.approx(want[doc], rel=1e-5)
            assert score == pytest.approx(best, rel=1e-5)  # nothing better was left out
        assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)


def test_bm25_ties_go_to_the_earlier_document() -> None:
    docs = [["x", "y"], ["z"], ["x", "y"], ["x", "y"]]
    assert [d for d, _ in BM25Index(docs).search(["x"], 2)] == [0, 2]


def test_bm25_sparse_and_dense_merges_agree() -> None:
    rng = random.Random(7)
    docs = random_corpus(rng, 3000, 2000)
    index = BM25Index(docs)
    rare = ["w1500", "w1700", "w1900"]  # few postings: merged by sorting the postings
    common = ["w0", "w1", "w2"]  # many postings: merged in one dense accumulator
    for query in (rare, common, rare + common):
        want = reference_bm25(docs, query)
        for doc, score in index.search(query, 20):
            assert score == pytest.approx(want[doc], rel=1e-5)


def test_bm25_edge_cases() -> None:
    empty = BM25Index([])
    assert empty.search(["a"], 5) == [] and empty.df("a") == 0
    index = BM25Index([["a", "b"], [], ["b"]])
    assert index.search([], 5) == [] and index.search(["zz"], 5) == []
    assert index.search(["a"], 0) == []
    assert index.df("b") == 2 and index.idf("zz") > index.idf("b")


def test_bm25_survives_its_array_round_trip(tmp_path: Path) -> None:
    docs = random_corpus(random.Random(3), 200, 300)
    index = BM25Index(docs)
    np.savez(tmp_path / "x.npz", **index.to_arrays())
    with np.load(tmp_path / "x.npz", allow_pickle=False) as z:
        again = BM25Index.from_arrays({k: z[k] for k in z.files})
    for q in (["w0"], ["w3", "w250", "w3"], ["nope"]):
        assert again.search(q, 10) == index.search(q, 10)
        assert again.idf(q[0]) == index.idf(q[0])


@pytest.mark.parametrize("strings", [[], [""], ["a"], ["a", "", "b c", "dé/ü#1-2", "x\ny"]])
def test_string_packing_round_trips(strings: list[str]) -> None:
    out = unpack_strings(pack_strings(strings))
    assert out == (strings if strings != [""] else [])


def test_index_reloads_the_lexical_cache_and_rebuilds_a_stale_one(hash_assistant) -> None:
    hash_assistant.build_index()
    index = hash_assistant.index
    lex, ids = index.lexical()
    query = ["zealand", "climat"]
    fresh = type(index)(index.settings)  # a new process's view: loads lexical.npz
    lex2, ids2 = fresh.lexical()
    assert ids2 == ids and lex2.search(query, 10) == lex.search(query, 10)
    (index.dir / "lexical.npz").write_bytes(b"not an npz file")
    lex3, ids3 = type(index)(index.settings).lexical()
    assert ids3 == ids and lex3.search(query, 10) == lex.search(query, 10)


@pytest.mark.parametrize("seed", range(5))
def test_embedding_batches_cover_every_text_within_the_budget(seed: int) -> None:
    rng = random.Random(seed)
    lens = [rng.choice([1, 3, 20, 64, 130, 256]) for _ in range(rng.randint(1, 300))]
    order = sorted(range(len(lens)), key=lambda i: lens[i])
    batches = list(_batches(order, lens, 32))
    assert [i for b in batches for i in b] == order  # each text once, in length order
    for b in batches:
        assert 1 <= len(b) <= 32
        assert len(b) == 1 or len(b) * lens[b[-1]] ** 2 <= ATTENTION_BUDGET


def test_embedding_batches_pad_no_more_than_fixed_size_batches() -> None:
    from assistant.embeddings import _batch_cost

    rng = random.Random(11)
    lens = sorted(rng.choice([2, 5, 9, 14, 30, 60, 90, 128, 200, 256]) for _ in range(500))
    order = list(range(len(lens)))
    chosen = sum(_batch_cost(len(b), lens[b[-1]]) for b in _batches(order, lens, 32))
    fixed, i = 0.0, 0
    while i < len(order):  # 32 at a time, fewer where the attention budget says so
        n = 1
        while i + n < len(order) and n < 32 and (n + 1) * lens[i + n] ** 2 <= ATTENTION_BUDGET:
            n += 1
        fixed += _batch_cost(n, lens[i + n - 1])
        i += n
    assert chosen <= fixed


def test_opening_a_collection_from_its_config_loads_no_model() -> None:
    from assistant.chroma_ef import LocalEmbeddingFunction

    ef = LocalEmbeddingFunction.build_from_config({"model": "all-MiniLM-L6-v2/int8-onnx"})
    assert ef._embedder is None and ef.get_config() == {"model": "all-MiniLM-L6-v2/int8-onnx"}
    hashed = LocalEmbeddingFunction(model="hash")
    assert len(hashed(["a b", "c"])) == 2  # loads on first use


def test_unchanged_reindex_does_not_load_the_model(seeds_index: Path) -> None:
    code = (
        "import sys; from assistant.index import Index; from assistant.settings import Settings;"
        f"r = Index(Settings(corpus={str(Path(__file__).parents[1] / 'seeds')!r}, "
        f"index_dir={str(seeds_index)!r})).update(progress=False);"
        "print(r.embedded, 'onnxruntime' in sys.modules, 'chromadb' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == ["0", "False", "False"]
