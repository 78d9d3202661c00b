"""What every LLM backend shares: the prompt it sends and what it makes of the model's reply.

Owns: numbering the evidence lines the model sees (``[1]``, ``[2]``... each one real
``file:line``), trimming them to fit the context window, building the chat messages from the
``prompts/`` templates, and turning the model's text into a ``Draft``: its ``[n]`` markers become
``[file:line]`` markers with quotes taken from the real lines, markers to lines it was not shown are
removed, a quote it invented loses its citation, sentences that echo instructions lose theirs. An
answer's signals (the model's own probability that the evidence answers, its token
log-probabilities) travel with the draft to ``abstain``, which decides whether it is shown.
``ChatBackend.run`` is stateless: one call's text, signals and failure travel in the events it
yields (``TextDelta`` pieces, then one ``Draft``), never on the backend. It turns every failure
of the model (unreachable, timeout, 401, 429, garbage) into a ``Draft`` with a ``note`` saying
what went wrong, so the pipeline falls back instead of crashing. Subclasses only implement
``chat``, which yields the reply's text and, last, the ``ReplySignals`` it measured.

Design compromise: nothing here trusts the model. Whatever ``to_draft`` keeps still goes through the
shared verifier (``verify.verify_answer``); a sentence without a citation that verifies is removed
there. Does not own: the transport (``openai_backend``, ``local``) or the verifier.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from ..answer import Claim
from ..chunking import sentences
from ..citations import Citation, split_claims
from ..lexical import analyze, coverage, question_weights
from ..normalize import normalize
from ..prompts import Prompts, load_prompts
from ..question import analyse, strip_injection
from ..retrieve import Evidence
from ..verify import quote_in_lines, support
from .base import Backend, Context, Draft, Event, Lookup, TextDelta

# What the model is told to reply when no line answers: one word, so that the probability of its
# first token is the model's own probability that the evidence does not answer.
NO_ANSWER = "NONE"
QUOTE_CHARS = 300  # a cited line up to this long is quoted whole; a longer one by its best sentence

# Tokens kept free besides the answer: chat-template tokens, role headers, rounding.
TEMPLATE_MARGIN = 48
MAX_RANGE = 8  # a marker range [3-9] may span at most this many lines


def starts_no_answer(token: str) -> bool:
    """Whether a first token begins the no-answer reply, however the model spells its start
    ("NONE", " NONE", "None", "N", "NON")."""
    t = token.lstrip()
    return bool(t) and (NO_ANSWER.startswith(t) or t == NO_ANSWER.title())


def logprob_signals(
    first_top: list[tuple[str, float]], token_logprobs: list[float]
) -> dict[str, float]:
    """The model's signals from a reply's log-probabilities: ``p_answer`` (one minus the
    probability, among the first token's top alternatives, of starting the no-answer reply) and
    the mean log-probability of the tokens it wrote. Empty when the reply had none."""
    out: dict[str, float] = {}
    if first_top:
        p_none = sum(math.exp(lp) for t, lp in first_top if starts_no_answer(t))
        out["p_answer"] = max(0.0, min(1.0, 1.0 - p_none))
    if token_logprobs:
        out["logprob"] = sum(token_logprobs) / len(token_logprobs)
    return out


class LLMError(Exception):
    """The model could not answer; the message says why, for the user."""


@dataclass(frozen=True)
class ReplySignals:
    """What a model measured while writing one reply (``p_answer``, ``logprob``); ``chat``
    yields it after the text."""

    values: dict[str, float]


@dataclass(frozen=True)
class EvidenceLine:
    number: int  # the [n] the model sees
    source: str
    line: int  # 1-based line in ``source``
    text: str  # what the model is shown (the line, or the part of it the chunk holds)


def number_evidence(evidence: list[Evidence]) -> list[EvidenceLine]:
    """The non-blank lines of the evidence chunks in retrieval order, each once, numbered from 1."""
    out: list[EvidenceLine] = []
    seen: set[tuple[str, int]] = set()
    for ev in evidence:
        for line_no, text in ev.chunk.lines():
            if not text.strip() or (ev.source, line_no) in seen:
                continue
            seen.add((ev.source, line_no))
            out.append(EvidenceLine(len(out) + 1, ev.source, line_no, text.strip()))
    return out


def render_evidence(lines: list[EvidenceLine], numbered: bool = True) -> str:
    """Lines grouped under the name of their document, documents in first-seen order; numbered
    ``[n]`` when the prompt asks the model to cite numbers."""
    blocks: dict[str, list[str]] = {}
    for el in lines:
        blocks.setdefault(el.source, []).append(f"[{el.number}] {el.text}" if numbered else el.text)
    return "\n\n".join(f"Document {src}:\n" + "\n".join(ls) for src, ls in blocks.items())


def select_lines(
    question: str,
    lines: list[EvidenceLine],
    idf: Callable[[str], float],
    budget: int,
    count: Callable[[str], int],
) -> list[EvidenceLine]:
    """The evidence lines most worth the model's time, within ``budget`` tokens: lines ranked by
    how much of the question they and their neighbours cover (idf-weighted), ties broken by
    retrieval order; each chosen line brings the line after it (hard-wrapped text continues
    there). Returned in document order, renumbered. A small model reads a short prompt fast."""
    if not lines:
        return []
    weights = question_weights(question, idf)
    by_pos = {(el.source, el.line): i for i, el in enumerate(lines)}

    def near(i: int, d: int) -> str:
        el = lines[i]
        j = by_pos.get((el.source, el.line + d))
        return lines[j].text if j is not None else ""

    score = [
        coverage(weights, el.text)
        + 0.5 * coverage(weights, f"{near(i, -1)} {el.text} {near(i, 1)}")
        - 0.002 * i
        for i, el in enumerate(lines)
    ]
    chosen: set[int] = set()
    used = 0
    for i in sorted(range(len(lines)), key=lambda i: -score[i]):
        group = [i] + [
            j
            for d in (1, -1)
            if (j := by_pos.get((lines[i].source, lines[i].line + d))) is not None
        ][:1]
        for j in group:
            if j in chosen:
                continue
            cost = count(lines[j].text + "\n") + 2
            if used + cost > budget:
                if not chosen:  # the best line alone is too long: fit_evidence cuts it
                    chosen.add(j)
                continue
            chosen.add(j)
            used += cost
        if used >= budget:
            break
    first_seen = {}
    for i in sorted(chosen, key=lambda i: -score[i]):
        first_seen.setdefault(lines[i].source, len(first_seen))
    order = sorted(chosen, key=lambda i: (first_seen[lines[i].source], lines[i].line))
    return [
        EvidenceLine(n, lines[i].source, lines[i].line, lines[i].text)
        for n, i in enumerate(order, start=1)
    ]


def locate(answer: str, lines: list[EvidenceLine], lookup: Lookup) -> tuple[int, int] | None:
    """The shown line (or two adjacent lines, for an answer that wraps) that supports a short
    answer written without markers: first the lines that hold it verbatim (ignoring case,
    whitespace and diacritics), else the line with the best support. Returns evidence numbers."""

    def real(el: EvidenceLine) -> str:
        got = lookup(el.source)
        return got[el.line - 1] if got and el.line <= len(got) else ""

    def pair(i: int) -> str:
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if nxt and nxt.source == lines[i].source and nxt.line == lines[i].line + 1:
            return real(lines[i]) + " " + real(nxt)
        return ""

    for el in lines:
        if quote_in_lines(answer, [real(el)]):
            return el.number, el.number
    for i, el in enumerate(lines):
        if (text := pair(i)) and quote_in_lines(answer, [text]):
            return el.number, el.number + 1
    score, best = max(
        ((support(answer, real(el)), el) for el in lines), key=lambda p: p[0], default=(0.0, None)
    )
    return (best.number, best.number) if best is not None and score >= 0.5 else None


def fit_evidence(
    lines: list[EvidenceLine], budget: int, count: Callable[[str], int]
) -> tuple[list[EvidenceLine], bool]:
    """The leading lines whose rendering fits in ``budget`` tokens, renumbered; and whether any
    line was left out or cut. The first line is cut to fit rather than dropped."""
    kept: list[EvidenceLine] = []
    used = 0
    sources: set[str] = set()
    for el in lines:
        cost = count(f"[{el.number}] {el.text}\n") + (0 if el.source in sources else 12)
        if used + cost > budget:
            if not kept and budget > 16:
                # Cut the best line to what fits (about 3 characters a token, conservatively).
                room = max(0, budget - 16) * 3
                while room > 0 and count(el.text[:room]) > budget - 16:
                    room = int(room * 0.8)
                if room > 0:
                    kept.append(EvidenceLine(1, el.source, el.line, el.text[:room]))
            return kept, True
        used += cost
        sources.add(el.source)
        kept.append(EvidenceLine(len(kept) + 1, el.source, el.line, el.text))
    return kept, False


# ----------------------------------------------------------------------- reading the reply
# "[3]", "[3, 5]", "[3-5]", "[line 3]", "[#3]", "[Evidence 3; 4]": numbers the model was shown.
_NUMS = r"#?\s*\d{1,4}(?:\s*(?:[-\u2013,;]|and)\s*#?\s*\d{1,4})*"
_NUM_MARKER = re.compile(
    r"\[\s*(?:(?:evidence|line|lines|ref|source|e)\s*)?(" + _NUMS + r")\s*\]", re.IGNORECASE
)
# A marker that opens a line, a bullet or follows a colon ("[2] The meeting was...", "Answer: [2]
# The meeting was...") cites what follows it.
_LEADING = re.compile(
    r"^(?P<lead>[^\n\[]{0,60}?:[ \t]*|[ \t]*(?:[-*\u2022]|\d{1,2}[.)])?[ \t]*)"
    r"(?P<marks>(?:\[[^\]\n]{1,40}\][ \t]*)+)"
    r"(?P<rest>\S.*)$",
    re.MULTILINE,
)
_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)
_QUOTED = re.compile(r"[\"\u201c]([^\"\u201c\u201d]{8,}?)[\"\u201d]")
_REFUSAL = normalize("do not contain an answer")
_NO_ANSWER = re.compile(r"^\W*(none|no answer|n/a|unanswerable)\b", re.IGNORECASE)


def _expand(nums: str) -> list[tuple[int, int]]:
    """'3, 5-7' -> [(3, 3), (5, 7)]."""
    out = []
    for part in re.split(r"\s*(?:[,;]|and)\s*", nums.replace("#", "")):
        a, _, b = re.sub(r"\s+", "", part).replace("\u2013", "-").partition("-")
        if a.isdigit():
            out.append((int(a), int(b) if b.isdigit() else int(a)))
    return out


def canonical_markers(text: str, lines: list[EvidenceLine]) -> str:
    """Replace the model's ``[n]`` markers by ``[file:line]`` markers of the lines it was shown.

    A number it was not shown is removed (its sentence then has no citation from it); a range
    becomes one marker per evidence line, merged into a line range when the lines are adjacent.
    """
    text = _LEADING.sub(lambda m: f"{m['lead']}{m['rest'].rstrip()} {m['marks'].strip()}", text)

    def repl(m: re.Match[str]) -> str:
        refs: list[EvidenceLine] = []
        for a, b in _expand(m.group(1)):
            if b < a or b - a >= MAX_RANGE:
                b = a
            refs += [lines[n - 1] for n in range(a, b + 1) if 1 <= n <= len(lines)]
        out: list[list] = []  # [source, start, end]
        for el in refs:
            if out and out[-1][0] == el.source and el.line == out[-1][2] + 1:
                out[-1][2] = el.line
            else:
                out.append([el.source, el.line, el.line])
        return "".join(f"[{s}:{a}]" if a == b else f"[{s}:{a}-{b}]" for s, a, b in out)

    return _NUM_MARKER.sub(repl, text)


def _best_quote(claim: str, cited_lines: list[str]) -> str:
    """The sentence of the cited lines that best supports ``claim`` (verbatim)."""
    best, best_score = "", -1.0
    for line in cited_lines:
        for s, e in sentences(line):
            sent = line[s:e]
            score = support(claim, sent)
            if score > best_score:
                best, best_score = sent, score
    return best


def is_refusal(text: str) -> bool:
    return _REFUSAL in normalize(text) or bool(_NO_ANSWER.match(text.strip()))


def quote_for(claim: str, cited_lines: list[str]) -> str:
    """What the user is shown as the source: the cited line itself, verbatim (a very long line:
    its sentence that supports the claim best)."""
    text = " ".join(line.strip() for line in cited_lines).strip()
    if len(text) <= QUOTE_CHARS:
        return text
    return _best_quote(claim, cited_lines)


def _reanchor_all(text: str, lines: list[EvidenceLine], lookup: Lookup) -> str:
    """``[n] answer`` (the form the prompt asks for) with ``n`` moved to the line that supports
    the answer, when the cited one does not."""
    m = re.match(r"^\s*\[\s*(\d{1,4})\s*\]\s*(.+)$", text, re.DOTALL)
    if not m or not lines:
        return text
    n, rest = int(m.group(1)), m.group(2).strip()
    if not 1 <= n <= len(lines) or re.search(r"\[\s*\d", rest):
        return text
    cited = lines[n - 1]
    real = lookup(cited.source)
    if real and cited.line <= len(real) and support(rest, real[cited.line - 1]) >= 0.5:
        return text
    found = locate(rest, lines, lookup)  # small models miscount line numbers
    if not found:
        return text
    a, b = found
    return f"[{a}] {rest}" if a == b else f"[{a}-{b}] {rest}"


def to_draft(raw: str, lines: list[EvidenceLine], lookup: Lookup, bare: bool = True) -> Draft:
    """What the model wrote, as a ``Draft`` whose markers are real, shown, quoted ``file:line``s.

    Kept for the verifier: claims whose markers point at lines the model was shown. Stripped of
    their markers (so the verifier drops them): markers to anything else, claims that quote text
    the cited lines do not hold, and claims that read as instructions. A reply that is only the
    refusal phrase gives a refused draft.
    """
    text = _THINK.sub("", raw or "").strip()
    if not text:
        return Draft(note="the model returned no text")
    if bare and not _NUM_MARKER.search(text) and not is_refusal(text):
        # A bare short answer (what the default prompt asks for): cite the line that holds it.
        text = text.strip().splitlines()[0].strip()
        text = re.sub(r"^(answer|a)\s*:\s*", "", text, flags=re.IGNORECASE).strip()
        found = locate(text, lines, lookup)
        if found:
            a, b = found
            text = f"{text} [{a}]" if a == b else f"{text} [{a}-{b}]"
    text = _reanchor_all(text, lines, lookup)
    text = canonical_markers(text, lines)
    # A line break ends a claim: a heading such as "Document X:" must not merge with the next line.
    claims = [c for para in text.splitlines() for c in split_claims(para)]
    if is_refusal(text) and not any(c.markers for c in claims if not is_refusal(c.text)):
        # Final: the model's own "no answer" (its probability is what ``abstain`` weighs).
        return Draft(refused=True, note="the model said the evidence does not answer")
    shown = {(el.source, el.line) for el in lines}
    out: list[Claim] = []  # in the model's order; a claim without citation fails verification
    problems: list[str] = []
    for claim in claims:
        if not claim.text or is_refusal(claim.text):
            continue
        if strip_injection(claim.text)[1]:
            out.append(Claim(claim.text))
            problems.append("an instruction echoed from the evidence")
            continue
        if not analyze(claim.text):  # "from. [3]": nothing that a line could support
            if claim.markers:
                problems.append("a citation on a fragment with no content")
            continue
        quoted = [q.strip() for q in _QUOTED.findall(claim.text)]
        cites: list[Citation] = []
        for m in claim.markers:
            span = range(m.start_line, m.end_line + 1)
            if not all((m.source, n) in shown for n in span):
                problems.append(f"a marker to {m} that was not in the evidence")
                continue
            real = lookup(m.source)
            if real is None or m.end_line > len(real):
                problems.append(f"a marker to {m} that does not exist")
                continue
            cited = real[m.start_line - 1 : m.end_line]
            bad = [q for q in quoted if not quote_in_lines(q, cited)]
            if bad:
                problems.append(f"a quote not in {m}: \u201c{bad[0][:60]}\u201d")
                continue
            quote = quoted[0] if quoted else quote_for(claim.text, cited)
            if strip_injection(quote)[1]:
                problems.append(f"a citation of an instruction in {m}, not of a fact")
                continue
            cites.append(Citation(m.source, m.start_line, m.end_line, quote))
        if not bare and not quoted and not _supported(claim.text, cites, lookup):
            # A model that cites badly (no marker, a miscounted line): the shown line that holds
            # the claim's words is cited instead, if there is one; the verifier still decides.
            if found := locate(claim.text, lines, lookup):
                first, last = lines[found[0] - 1], lines[found[1] - 1]
                cited = (lookup(first.source) or [])[first.line - 1 : last.line]
                quote = quote_for(claim.text, cited)
                if cited and not strip_injection(quote)[1]:
                    cites = [Citation(first.source, first.line, last.line, quote)]
                    problems.append("a citation moved to the line that holds the claim")
        out.append(Claim(claim.text, tuple(dict.fromkeys(cites))))
        if not claim.markers:
            problems.append("a sentence without citation")
    note = "the model's answer had " + "; ".join(dict.fromkeys(problems)) if problems else ""
    return Draft(tuple(out), False, note)


def _supported(claim: str, cites: list[Citation], lookup: Lookup) -> bool:
    """Whether one of ``cites`` holds most of ``claim``'s terms (what the verifier will ask)."""
    for c in cites:
        real = lookup(c.source) or []
        if support(claim, " ".join(real[c.start_line - 1 : c.end_line])) >= 0.5:
            return True
    return False


# ----------------------------------------------------------------------- the backend
class ChatBackend(Backend):
    """An answerer that asks a chat model. Subclasses implement ``chat`` (and may refine
    ``count_tokens``); everything else, including every failure path, is shared."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.prompts: Prompts = load_prompts(settings.prompts_dir)

    # --- for subclasses -------------------------------------------------------------------
    def chat(self, messages: list[dict[str, str]], stream: bool) -> Iterator[str]:
        """Yield the reply's text (one piece when not streaming); raise ``LLMError`` on failure."""
        raise NotImplementedError

    def count_tokens(self, text: str) -> int:
        """Tokens in ``text``; without a tokenizer, a conservative 3 characters per token."""
        return math.ceil(len(text) / 3)

    # --- shared ---------------------------------------------------------------------------
    def messages(
        self,
        question: str,
        evidence: list[Evidence],
        idf: Callable[[str], float] | None = None,
    ) -> tuple[list[dict[str, str]], list[EvidenceLine], bool]:
        """The chat messages, the evidence lines they show, and whether evidence was trimmed."""
        s = self.settings
        values = {"cannot_answer": NO_ANSWER, "max_sentences": s.max_answer_sentences}
        system = self.prompts.system.render(question=question, evidence="", **values)
        empty_user = self.prompts.user.render(question=question, evidence="", **values)
        budget = (
            s.llm_context_tokens
            - s.llm_max_tokens
            - self.count_tokens(system)
            - self.count_tokens(empty_user)
            - TEMPLATE_MARGIN
        )
        budget = min(budget, s.llm_evidence_tokens)
        all_lines = number_evidence(evidence)
        chosen = select_lines(
            question, all_lines, idf or (lambda t: 1.0), budget, self.count_tokens
        )
        lines, trimmed = fit_evidence(chosen, budget, self.count_tokens)
        numbered = self.prompts.numbered
        user = self.prompts.user.render(
            question=question, evidence=render_evidence(lines, numbered), **values
        )
        msgs = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        return msgs, lines, trimmed

    def _prepare(
        self, question: str, evidence: list[Evidence], idf: Callable[[str], float] | None = None
    ) -> Draft | tuple[list[dict[str, str]], list[EvidenceLine], bool]:
        q = analyse(question).text.strip()
        if not q:
            return Draft(refused=True, note="no question left after removing instructions")
        msgs, lines, trimmed = self.messages(q, evidence, idf)
        if not evidence:
            return Draft(refused=True, note="no evidence was retrieved")
        if not lines:  # not the model's refusal: fall back, and say why
            return Draft(
                note=f"{self.name}: the prompt alone fills the context window "
                f"({self.settings.llm_context_tokens} tokens); raise "
                "ASSISTANT_LLM_CONTEXT_TOKENS",
            )
        return msgs, lines, trimmed

    @property
    def model_name(self) -> str:
        """The name of the model that writes the answers (shown in ``Answer.model``)."""
        return self.name

    def run(
        self, question: str, evidence: list[Evidence], ctx: Context, *, stream: bool = False
    ) -> Iterator[Event]:
        prepared = self._prepare(question, evidence, ctx.idf)
        if isinstance(prepared, Draft):
            yield prepared
            return
        msgs, lines, trimmed = prepared
        pieces: list[str] = []
        signals: dict[str, float] = {}
        # One deadline for the whole reply. Checked here between pieces for every backend; a
        # backend whose reads can block (``openai``) also enforces it inside ``chat``.
        limit = self.settings.llm_timeout
        deadline = time.monotonic() + limit
        reply = self.chat(msgs, stream)
        try:
            for piece in reply:
                if isinstance(piece, ReplySignals):
                    signals.update(piece.values)
                    continue
                pieces.append(piece)
                if stream and piece:
                    yield TextDelta(piece)
                if time.monotonic() > deadline:
                    raise LLMError(f"no complete answer within {limit:g} s")
        except LLMError as e:
            yield Draft(note=f"{self.name}: {e}", model=self.model_name)
            return
        except Exception as e:  # noqa: BLE001 - a model failure must never reach the user raw
            yield Draft(
                note=f"{self.name}: unexpected {type(e).__name__}: {e}", model=self.model_name
            )
            return
        finally:
            reply.close()  # also when the caller abandons the stream: the model is released
        raw = "".join(pieces)  # what the model wrote, before any checking
        d = to_draft(raw, lines, ctx.lookup, bare=not self.prompts.numbered)
        note = "; ".join(
            x for x in (d.note, "evidence trimmed to fit the context" if trimmed else "") if x
        )
        # A model wrote it, whatever it reported: its signals are a dict, never None.
        yield replace(d, signals=signals, model=self.model_name, raw=raw, note=note)
