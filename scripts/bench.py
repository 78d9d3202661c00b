"""Benchmark: how the assistant's cost grows, measured on this machine. Not a test.

    python scripts/bench.py            # full run: scale corpora of ~1k, 10k and 100k chunks
    python scripts/bench.py --quick    # a few minutes: small texts, 1k-chunk corpus only

Prints a table and writes ``bench.json`` and ``bench.png`` (latency and memory against corpus
size) to ``--out``. Sections:

- throughput: index throughput (chunks/s of ``Index.update`` into a fresh index, model already
  loaded) against the raw encoder's throughput on the same chunk texts, in the same run; the
  ratio is the pipeline's overhead (reading, chunking, analysing, SQLite, Chroma, BM25).
- reindex: ``Index.update`` on the unchanged corpus (seconds, chunks embedded), and the whole
  ``assistant index`` process, which must not even import the model runtime.
- latency: warm ``Assistant.ask`` latency over the official questions (tests/eval/questions.yaml)
  on the seeds, per backend (``extractive``; ``local`` too when llama-cpp is installed).
- cold start: ``assistant ask`` as a new process with an existing index, from process start to
  the first byte of the printed answer (median of several runs).
- server: the warm latency again with the vectors in a Chroma server (``chroma run``) on
  loopback, started and stopped by the benchmark.
- scale: corpora of about 1k, 10k and 100k chunks of real text found on this machine (the Python
  standard library's docstrings, the Vim manual, /usr/share/doc); for each, in a fresh
  subprocess, index time, index size on disk and peak RSS, then, in another fresh subprocess,
  retrieval latency p50/p95 and peak RSS.

The machine is shared in development: every section records the load average before and after it.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
QUESTIONS = REPO / "tests" / "eval" / "questions.yaml"
sys.path.insert(0, str(REPO))


# --------------------------------------------------------------------------------- helpers
def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM; ru_maxrss may count the forking parent)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict:
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    import chromadb
    import numpy
    import onnxruntime

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "onnxruntime": onnxruntime.__version__,
        "chromadb": chromadb.__version__,
        "numpy": numpy.__version__,
    }


def official_questions() -> list[str]:
    import yaml

    data = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    return [q["question"] for q in data["questions"]]


def assistant_cmd() -> list[str]:
    exe = shutil.which("assistant")
    return [exe] if exe else [sys.executable, "-m", "assistant.cli"]


# ------------------------------------------------------------------------- scale corpora
def _stdlib_docstrings() -> Iterator[tuple[str, str]]:
    """The docstrings of the Python standard library, one text file per module."""
    root = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] in ("site-packages", "test", "idlelib") or "tests" in rel.parts:
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
            continue
        docs = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node)
                if doc:
                    title = "" if isinstance(node, ast.Module) else f"{node.name}: "
                    docs.append(title + doc)
        if docs:
            yield f"python-stdlib/{rel.with_suffix('.txt').as_posix()}", "\n\n".join(docs) + "\n"


def _text_files(root: str, prefix: str, exts: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    base = Path(root)
    if not base.is_dir():
        return
    for path in sorted(base.rglob("*")):
        if path.suffix.lower() not in exts or not path.is_file() or path.is_symlink():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if text.strip():
            yield f"{prefix}/{path.relative_to(base).as_posix()}", text


def _vim_manual() -> Iterator[tuple[str, str]]:
    for d in sorted(Path("/usr/share/vim").glob("vim*/doc")):
        yield from _text_files(str(d), "vim-manual", (".txt",))


SOURCES = {
    "python-stdlib-docstrings": _stdlib_docstrings,
    "vim-manual": _vim_manual,
    "usr-share-doc": lambda: _text_files(
        "/usr/share/doc", "usr-share-doc", (".md", ".txt", ".rst")
    ),
}


def build_corpus(dest: Path, target: int, chunk_chars: int) -> dict:
    """Write about ``target`` chunks of real text to ``dest``, balanced across the sources.

    The next file always comes from the source that has contributed the fewest chunks so far,
    and the last file is cut at a chunk boundary, so the corpus holds exactly ``target`` chunks
    (when the machine has that much text). Deterministic for a given machine.
    """
    from assistant.chunking import chunk_document
    from assistant.documents import Document, split_lines

    manifest_path = dest / ".manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("target") == target and manifest.get("chunk_chars") == chunk_chars:
            return manifest
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    iters = {name: iter(fn()) for name, fn in SOURCES.items()}
    per = {name: {"files": 0, "chunks": 0, "bytes": 0} for name in SOURCES}
    total = 0
    while total < target and iters:
        name = min(iters, key=lambda n: per[n]["chunks"])
        try:
            rel, text = next(iters[name])
        except StopIteration:
            del iters[name]
            continue
        lines = split_lines(text)
        chunks = chunk_document(Document(rel, tuple(lines), ""), chunk_chars)
        if not chunks:
            continue
        need = target - total
        if len(chunks) > need:
            lines = lines[: chunks[need - 1].end_line]
            chunks = chunks[:need]
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        data = "\n".join(lines) + "\n"
        out.write_text(data, encoding="utf-8")
        per[name]["files"] += 1
        per[name]["chunks"] += len(chunks)
        per[name]["bytes"] += len(data.encode())
        total += len(chunks)
    manifest = {"target": target, "chunk_chars": chunk_chars, "chunks": total, "sources": per}
    manifest_path.write_text(json.dumps(manifest, indent=2))
    return manifest


def _queries_from(corpus: Path, n: int) -> list[str]:
    """``n`` realistic queries: the opening words of evenly spaced chunks of the corpus."""
    from assistant.chunking import chunk_document
    from assistant.documents import iter_documents

    texts = []
    for doc in iter_documents(corpus, [".txt", ".md", ".rst"], 10**9):
        for c in chunk_document(doc):
            words = c.text.split()
            if len(words) >= 8:
                texts.append(" ".join(words[:10]))
    step = max(1, len(texts) // n)
    return texts[::step][:n]


# ---------------------------------------------------------------------- subprocess workers
def worker_index(corpus: str, index_dir: str, embedder: str) -> dict:
    from assistant.index import Index
    from assistant.settings import Settings

    s = Settings(corpus=corpus, index_dir=index_dir, embedding_model=embedder)
    t0 = time.perf_counter()
    report = Index(s).update(progress=False)
    seconds = time.perf_counter() - t0
    peak = peak_rss_mb()
    disk = du(Path(index_dir)) / 1e6
    # Incremental updates at this size, in a fresh Index: nothing changed, then one file changed.
    unchanged = Index(s).update(progress=False)
    files = sorted(p for p in Path(corpus).rglob("*") if p.is_file() and p.name[0] != ".")
    victim = files[len(files) // 2]
    original = victim.read_bytes()
    try:
        victim.write_bytes(original + b"\nOne more line, appended by the benchmark.\n")
        changed = Index(s).update(progress=False)
    finally:
        victim.write_bytes(original)
    restored = Index(s).update(progress=False)
    return {
        "seconds": seconds,
        "chunks": report.chunks,
        "embedded": report.embedded,
        "files": report.files,
        "chunks_per_s": report.chunks / seconds,
        "peak_rss_mb": peak,
        "disk_mb": disk,
        "unchanged_update_s": unchanged.seconds,
        "unchanged_embedded": unchanged.embedded,
        "one_file_changed_s": statistics.median([changed.seconds, restored.seconds]),
        "one_file_changed_embedded": changed.embedded,
    }


def worker_query(corpus: str, index_dir: str, embedder: str, repeats: int) -> dict:
    from assistant.index import Index
    from assistant.retrieve import Retriever
    from assistant.settings import Settings

    s = Settings(corpus=corpus, index_dir=index_dir, embedding_model=embedder)
    queries = _queries_from(Path(corpus), 60) + official_questions()
    t0 = time.perf_counter()
    index = Index(s)
    retriever = Retriever(index)
    retriever.search(queries[0])
    first = time.perf_counter() - t0
    lat, lex_lat, dense_lat = [], [], []
    lex, ids = index.lexical()
    from assistant.lexical import analyze

    for _ in range(repeats):
        for q in queries:
            t = time.perf_counter()
            retriever.search(q)
            lat.append(time.perf_counter() - t)
            terms = analyze(q)
            t = time.perf_counter()
            lex.search(terms, s.fetch_k)
            lex_lat.append(time.perf_counter() - t)
            vec = index.embedder.embed([q])[0]
            t = time.perf_counter()
            index.dense_search(vec, s.fetch_k)
            dense_lat.append(time.perf_counter() - t)
    ms = 1000
    return {
        "queries": len(queries) * repeats,
        "first_query_s": first,
        "p50_ms": float(np.percentile(lat, 50)) * ms,
        "p95_ms": float(np.percentile(lat, 95)) * ms,
        "bm25_p50_ms": float(np.percentile(lex_lat, 50)) * ms,
        "bm25_p95_ms": float(np.percentile(lex_lat, 95)) * ms,
        "chroma_p50_ms": float(np.percentile(dense_lat, 50)) * ms,
        "chroma_p95_ms": float(np.percentile(dense_lat, 95)) * ms,
        "peak_rss_mb": peak_rss_mb(),
    }


def run_worker(kind: str, *args: str) -> dict:
    cmd = [sys.executable, __file__, "--worker", kind, *args]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


# -------------------------------------------------------------------------------- sections
def bench_throughput(work: Path, n_chunks: int, rounds: int) -> dict:
    """Pipeline vs raw encoder on the same chunk texts, alternating, medians of ``rounds``."""
    from assistant.chunking import chunk_document
    from assistant.documents import iter_documents
    from assistant.embeddings import OnnxMiniLM
    from assistant.index import Index
    from assistant.settings import Settings

    corpus = work / f"corpus-{n_chunks}"
    build_corpus(corpus, n_chunks, Settings().chunk_chars)
    texts = [
        c.text
        for d in iter_documents(corpus, Settings().extensions, 10**9)
        for c in chunk_document(d, Settings().chunk_chars)
    ]
    t = time.perf_counter()
    enc = OnnxMiniLM(batch_size=Settings().embed_batch_size)
    load_s = time.perf_counter() - t
    enc.embed(texts[:64])  # warm the session
    raw, pipe = [], []
    for r in range(rounds):
        t = time.perf_counter()
        enc.embed(texts)
        raw.append(len(texts) / (time.perf_counter() - t))
        idx_dir = work / f"throughput-index-{r}"
        shutil.rmtree(idx_dir, ignore_errors=True)
        s = Settings(corpus=corpus, index_dir=idx_dir)
        t = time.perf_counter()
        rep = Index(s, embedder=enc).update(progress=False)
        pipe.append(rep.chunks / (time.perf_counter() - t))
        shutil.rmtree(idx_dir, ignore_errors=True)
    return {
        "chunks": len(texts),
        "rounds": rounds,
        "model_load_s": load_s,
        "raw_chunks_per_s": statistics.median(raw),
        "index_chunks_per_s": statistics.median(pipe),
        "ratio": statistics.median(p / r for p, r in zip(pipe, raw, strict=True)),
        "raw_all": raw,
        "index_all": pipe,
    }


def bench_reindex(seeds_index: Path) -> dict:
    from assistant.index import Index
    from assistant.settings import Settings

    s = Settings(corpus=SEEDS, index_dir=seeds_index)
    rep = Index(s).update(progress=False)
    in_process = rep.seconds
    code = (
        "import sys, time; t=time.perf_counter(); from assistant.index import Index; "
        "from assistant.settings import Settings; "
        f"r=Index(Settings(corpus={str(SEEDS)!r}, index_dir={str(seeds_index)!r})).update("
        "progress=False); print(r.embedded, 'onnxruntime' in sys.modules, "
        "'chromadb' in sys.modules, time.perf_counter()-t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    embedded, onnx, chroma, sub_s = out.stdout.split()
    procs = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(
            [
                *assistant_cmd(),
                "index",
                "-q",
                "--corpus",
                str(SEEDS),
                "--index-dir",
                str(seeds_index),
            ],
            check=True,
            capture_output=True,
        )
        procs.append(time.perf_counter() - t)
    return {
        "chunks_embedded": rep.embedded,
        "update_s": in_process,
        "fresh_process_update_s": float(sub_s),
        "fresh_process_embedded": int(embedded),
        "model_runtime_imported": onnx == "True",
        "chromadb_imported": chroma == "True",
        "assistant_index_process_s": statistics.median(procs),
    }


def bench_latency(seeds_index: Path, backends: list[str], repeats: int, local_cap: int) -> dict:
    from assistant.api import Assistant

    questions = official_questions()
    a = Assistant(corpus=SEEDS, index_dir=seeds_index)
    out = {}
    for be in backends:
        qs = questions if be == "extractive" else questions[:local_cap]
        a.ask(qs[0], backend=be)  # warm: model, index, caches
        lat, retrieve = [], []
        for _ in range(repeats if be == "extractive" else 1):
            for q in qs:
                t = time.perf_counter()
                ans = a.ask(q, backend=be)
                lat.append(time.perf_counter() - t)
                retrieve.append(ans.timings.get("retrieve", float("nan")))
        out[be] = {
            "questions": len(qs),
            "asks": len(lat),
            "p50_ms": float(np.percentile(lat, 50)) * 1000,
            "p95_ms": float(np.percentile(lat, 95)) * 1000,
            "retrieve_p50_ms": float(np.percentile(retrieve, 50)) * 1000,
        }
    return out


def bench_cold_start(seeds_index: Path, runs: int) -> dict:
    q = "Where were the ASEAN+1 foreign ministers' meetings held?"
    cmd = [
        *assistant_cmd(),
        "ask",
        "--backend",
        "extractive",
        "--corpus",
        str(SEEDS),
        "--index-dir",
        str(seeds_index),
        q,
    ]
    first_byte, exit_s = [], []
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert p.stdout is not None
        p.stdout.read(1)
        first_byte.append(time.perf_counter() - t)
        p.stdout.read()
        p.wait()
        exit_s.append(time.perf_counter() - t)
        if p.returncode != 0:
            raise RuntimeError(f"{cmd} exited with {p.returncode}")
    return {
        "runs": runs,
        "to_answer_s": statistics.median(first_byte),
        "to_exit_s": statistics.median(exit_s),
        "all_to_answer_s": first_byte,
    }


def bench_server(work: Path, repeats: int) -> dict:
    """Warm answer latency on the seeds with the vectors in a Chroma server on loopback."""
    import signal
    import socket
    import urllib.request

    from assistant.api import Assistant

    cli = Path(sys.executable).parent / "chroma"
    if not cli.exists():
        return {"skipped": "no `chroma` command next to this Python"}
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = work / "chroma-server"
    shutil.rmtree(data, ignore_errors=True)
    proc = subprocess.Popen(
        [str(cli), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the Chroma server did not start") from None
                time.sleep(0.2)
        idx = work / "seeds-index-server"
        shutil.rmtree(idx, ignore_errors=True)
        a = Assistant(
            corpus=SEEDS,
            index_dir=idx,
            backend="extractive",
            chroma_host="127.0.0.1",
            chroma_port=port,
        )
        t = time.perf_counter()
        a.build_index()
        build_s = time.perf_counter() - t
        questions = official_questions()
        a.ask(questions[0])
        lat, dense = [], []
        vec = a.index.embedder.embed([questions[0]])[0]
        for _ in range(repeats):
            for q in questions:
                t = time.perf_counter()
                a.ask(q)
                lat.append(time.perf_counter() - t)
                t = time.perf_counter()
                a.index.dense_search(vec, a.settings.fetch_k)
                dense.append(time.perf_counter() - t)
        return {
            "index_seeds_s": build_s,
            "asks": len(lat),
            "p50_ms": float(np.percentile(lat, 50)) * 1000,
            "p95_ms": float(np.percentile(lat, 95)) * 1000,
            "dense_search_p50_ms": float(np.percentile(dense, 50)) * 1000,
        }
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def bench_scale(
    work: Path, sizes: list[int], embedder: str, repeats: int, reuse: bool
) -> list[dict]:
    from assistant.settings import Settings

    rows = []
    for n in sizes:
        corpus = work / f"corpus-{n}"
        t = time.perf_counter()
        manifest = build_corpus(corpus, n, Settings().chunk_chars)
        corpus_s = time.perf_counter() - t
        idx = work / f"index-{n}-{embedder}"
        record = work / f"index-{n}-{embedder}.build.json"
        load_before = load()
        if reuse and idx.is_dir() and record.exists():
            built = json.loads(record.read_text())  # measured when that index was built
            print(
                f"  scale {n}: reusing the index built {built.get('built_at')}",
                file=sys.stderr,
                flush=True,
            )
        else:
            shutil.rmtree(idx, ignore_errors=True)
            print(
                f"  scale {n}: indexing {manifest['chunks']} chunks ...",
                file=sys.stderr,
                flush=True,
            )
            built = run_worker("index", str(corpus), str(idx), embedder)
            built.update(
                built_at=time.strftime("%F %T"), load_before=load_before, load_after=load()
            )
            record.write_text(json.dumps(built, indent=2))
        queried = run_worker("query", str(corpus), str(idx), embedder, str(repeats))
        rows.append(
            {
                "target": n,
                "corpus": manifest,
                "corpus_build_s": corpus_s,
                "corpus_mb": sum(s["bytes"] for s in manifest["sources"].values()) / 1e6,
                "index": built,
                "query": queried,
                "load_before": load_before,
                "load_after": load(),
            }
        )
        print(
            f"  scale {n}: {built['seconds']:.0f} s, query p50 {queried['p50_ms']:.1f} ms",
            file=sys.stderr,
            flush=True,
        )
    return rows


# ------------------------------------------------------------------------------- reporting
def table(res: dict) -> str:
    lines = ["| measure | value | goal |", "|---|---|---|"]
    if "throughput" in res:
        t = res["throughput"]
        lines += [
            f"| raw encoder throughput ({t['chunks']} chunks) | {t['raw_chunks_per_s']:.1f} "
            "chunks/s | |",
            f"| index throughput (same texts) | {t['index_chunks_per_s']:.1f} chunks/s | |",
            f"| index / encoder ratio | {t['ratio']:.2f} | ≥ 0.9 |",
        ]
    if "reindex" in res:
        r = res["reindex"]
        lines += [
            f"| re-index unchanged seeds: chunks embedded | {r['chunks_embedded']} | 0 |",
            f"| re-index unchanged seeds: `Index.update` | {r['update_s'] * 1000:.1f} ms | < 1 s |",
            f"| re-index unchanged seeds: whole `assistant index` process | "
            f"{r['assistant_index_process_s']:.2f} s | |",
            "| re-index imports the model runtime | "
            f"{'yes' if r['model_runtime_imported'] else 'no'} | no |",
        ]
    for be, v in res.get("latency", {}).items():
        goal = "p50 ≤ 100 ms" if be == "extractive" else ""
        lines.append(
            f"| warm answer latency, `{be}` ({v['asks']} asks) | p50 {v['p50_ms']:.1f} ms, "
            f"p95 {v['p95_ms']:.1f} ms | {goal} |"
        )
    if res.get("server", {}).get("p50_ms") is not None:
        v = res["server"]
        lines.append(
            f"| warm answer latency, `extractive`, vectors in a Chroma server ({v['asks']} asks) "
            f"| p50 {v['p50_ms']:.1f} ms, p95 {v['p95_ms']:.1f} ms (dense search p50 "
            f"{v['dense_search_p50_ms']:.1f} ms) | |"
        )
    if "cold_start" in res:
        c = res["cold_start"]
        lines.append(
            f"| cold start `assistant ask` (median of {c['runs']}) | {c['to_answer_s']:.2f} s to "
            f"answer, {c['to_exit_s']:.2f} s to exit | ≤ 3 s |"
        )
    out = "\n".join(lines)
    if res.get("scale"):
        out += "\n\n| chunks | corpus MB | index time | chunks/s | index on disk | peak RSS index "
        out += "| re-index unchanged | one file changed | peak RSS query | first query "
        out += "| retrieval p50 | retrieval p95 | BM25 p50 | Chroma p50 |\n"
        out += "|" + "---|" * 14 + "\n"
        for r in res["scale"]:
            i, q = r["index"], r["query"]
            out += (
                f"| {i['chunks']:,} | {r['corpus_mb']:.1f} | {i['seconds']:.0f} s | "
                f"{i['chunks_per_s']:.1f} | {i['disk_mb']:.0f} MB | {i['peak_rss_mb']:.0f} MB | "
                f"{i['unchanged_update_s']:.2f} s | {i['one_file_changed_s']:.2f} s | "
                f"{q['peak_rss_mb']:.0f} MB | {q['first_query_s']:.2f} s | "
                f"{q['p50_ms']:.1f} ms | {q['p95_ms']:.1f} ms | {q['bm25_p50_ms']:.2f} ms | "
                f"{q['chroma_p50_ms']:.2f} ms |\n"
            )
    return out


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["index"]["chunks"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(n, [r["query"]["p50_ms"] for r in rows], "o-", label="retrieval p50")
    ax1.plot(n, [r["query"]["p95_ms"] for r in rows], "s--", label="retrieval p95")
    ax1.plot(n, [r["query"]["bm25_p50_ms"] for r in rows], "^:", label="BM25 p50")
    ax1.plot(n, [r["query"]["chroma_p50_ms"] for r in rows], "v:", label="Chroma p50")
    ax1.axhline(150, color="grey", lw=0.8, ls="--", label="goal at 100k (150 ms)")
    ax1.set(xscale="log", xlabel="corpus size (chunks)", ylabel="ms", title="Retrieval latency")
    ax1.legend(fontsize=8)
    ax2.plot(n, [r["index"]["peak_rss_mb"] for r in rows], "o-", label="peak RSS, indexing")
    ax2.plot(n, [r["query"]["peak_rss_mb"] for r in rows], "s-", label="peak RSS, querying")
    ax2.plot(n, [r["index"]["disk_mb"] for r in rows], "^--", label="index on disk")
    ax2.set(xscale="log", xlabel="corpus size (chunks)", ylabel="MB", title="Memory and disk")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="Small sizes; a few minutes.")
    ap.add_argument("--out", default="bench-results", help="Folder for bench.json and bench.png.")
    ap.add_argument(
        "--workdir",
        default=None,
        help="Folder for generated corpora and indexes (default: a temp folder that "
        "is kept, so corpora are reused).",
    )
    ap.add_argument("--sizes", default=None, help="Scale corpus sizes, e.g. 1000,10000,100000.")
    ap.add_argument("--sections", default="throughput,reindex,latency,cold,server,scale")
    ap.add_argument(
        "--backends",
        default=None,
        help="Backends for warm latency (default: extractive, plus local when "
        "llama-cpp is installed and not --quick).",
    )
    ap.add_argument("--embedder", default="minilm-int8", help="Embedder for the scale corpora.")
    ap.add_argument(
        "--reuse-indexes",
        action="store_true",
        help="Scale: keep indexes (and their build measurements) from an earlier run "
        "in --workdir; only the query measurements are taken again.",
    )
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        kind, *rest = args.worker
        if kind == "index":
            print(json.dumps(worker_index(*rest)))
        else:
            print(json.dumps(worker_query(rest[0], rest[1], rest[2], int(rest[3]))))
        return

    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    for key in [k for k in os.environ if k.startswith("ASSISTANT_")]:
        del os.environ[key]  # measure the defaults
    work = Path(args.workdir or Path(os.environ.get("TMPDIR", "/tmp")) / "assistant-bench")
    work.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sections = set(args.sections.split(","))
    sizes = (
        [int(x) for x in args.sizes.split(",")]
        if args.sizes
        else ([1000] if args.quick else [1000, 10000, 100000])
    )
    if args.backends:
        backends = args.backends.split(",")
    else:
        backends = ["extractive"]
        try:
            import llama_cpp  # noqa: F401

            if not args.quick:
                backends.append("local")
        except ImportError:
            pass

    res: dict = {
        "machine": machine(),
        "quick": args.quick,
        "started": time.strftime("%F %T"),
        "load_at_start": load(),
        "sections": {},
    }
    started = time.perf_counter()

    def section(name: str, fn, *a):
        print(f"[{name}] load {load()} ...", file=sys.stderr, flush=True)
        before = load()
        t = time.perf_counter()
        res[name] = fn(*a)
        res["sections"][name] = {
            "seconds": time.perf_counter() - t,
            "load_before": before,
            "load_after": load(),
        }
        print(f"[{name}] done in {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)

    seeds_index = work / "seeds-index"
    if sections & {"reindex", "latency", "cold"}:
        from assistant.index import Index
        from assistant.settings import Settings

        Index(Settings(corpus=SEEDS, index_dir=seeds_index)).update(progress=False)
    if "throughput" in sections:
        section(
            "throughput",
            bench_throughput,
            work,
            300 if args.quick else 1000,
            1 if args.quick else 3,
        )
    if "reindex" in sections:
        section("reindex", bench_reindex, seeds_index)
    if "latency" in sections:
        section("latency", bench_latency, seeds_index, backends, 1 if args.quick else 3, 20)
    if "cold" in sections:
        section("cold_start", bench_cold_start, seeds_index, 3 if args.quick else 7)
    if "server" in sections:
        section("server", bench_server, work, 1 if args.quick else 3)
    if "scale" in sections:
        section(
            "scale",
            bench_scale,
            work,
            sizes,
            args.embedder,
            1 if args.quick else 2,
            args.reuse_indexes,
        )

    res["total_s"] = time.perf_counter() - started
    res["load_at_end"] = load()
    (out / "bench.json").write_text(json.dumps(res, indent=2))
    if res.get("scale"):
        plot(res["scale"], out / "bench.png")
    print(
        f"\nmachine: {res['machine']['cpu']}, {res['machine']['cores']} cores, "
        f"{res['machine']['memory_gib']} GiB; load at start {res['load_at_start']}, at end "
        f"{res['load_at_end']}\n"
    )
    print(table(res))
    png = f" and {out / 'bench.png'}" if res.get("scale") else ""
    print(f"\nwrote {out / 'bench.json'}{png}")


if __name__ == "__main__":
    main()
