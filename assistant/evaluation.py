"""Gold Q&A sets: reading them, the rule for when a returned quote counts as the right answer, and the metrics.

Rule (DESIGN.md): a question is answered right at rank k when one of the first k quotes contains one of the
gold answers, with case, whitespace, quote-mark and hyphenation differences folded, and, if the gold item names
a document, comes from that document (matched against the end of the quote's path) or from one of its optional
``also_docs`` (other documents that answer the question as asked, e.g. a news article quoting the report).
A question the assistant abstained on has no quotes, so it is never answered right (its closest passages still
count for the document-hit and precision/coverage figures, which describe what a different threshold would give).

``highlight`` exact match and F1 use SQuAD's official normalisation (lowercase, no punctuation, no articles).
"""

from __future__ import annotations

import json
import re
import statistics
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.folding import fold_text

if TYPE_CHECKING:
    from assistant.api import Assistant
    from assistant.config import AnswerSettings



class GoldFormatError(ValueError):
    """A gold file line that is not a valid gold item; the message names the line."""


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    answers: tuple[str, ...]
    doc: str | None
    also_docs: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    def from_gold_doc(self, quote_doc: str) -> bool:
        """True when a quote from ``quote_doc`` may count: no document named, or ``doc`` or one of ``also_docs``."""
        return self.doc is None or any(doc_matches(quote_doc, d) for d in (self.doc, *self.also_docs))


def doc_matches(quote_doc: str, gold_doc: str | None) -> bool:
    return gold_doc is None or quote_doc == gold_doc or quote_doc.endswith("/" + gold_doc.lstrip("/"))


def quote_hits(quote_text: str, quote_doc: str, item: GoldItem) -> bool:
    if not item.answers or not item.from_gold_doc(quote_doc):
        return False
    folded = fold_text(quote_text)
    return any(fold_text(a) in folded for a in item.answers)


def first_hit_rank(quotes: Sequence[tuple[str, str]], item: GoldItem) -> int | None:
    """1-based rank of the first (text, doc) quote that answers ``item``, or None."""
    for rank, (text, doc) in enumerate(quotes, 1):
        if quote_hits(text, doc, item):
            return rank
    return None


def _decode_line(path: Path, n: int, raw: bytes) -> str:
    """One line of a gold file as text; a GoldFormatError naming the file, line and column if it is not UTF-8."""
    try:
        return raw.decode("utf-8-sig" if n == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise GoldFormatError(f"{path}:{n}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
                              "save the file as UTF-8") from exc


def load_gold(path: Path) -> list[GoldItem]:
    """The gold items of a JSONL file; GoldFormatError naming the line for anything that is not a valid item,
    including a duplicate id (both copies would otherwise be scored, and a report keyed by id would hide one)."""
    items: list[GoldItem] = []
    first_line: dict[str, int] = {}
    with path.open("rb") as f:
        for n, raw in enumerate(f, 1):
            line = _decode_line(path, n, raw)
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise GoldFormatError(f"{path}:{n}: not valid JSON ({exc.args[0]})") from exc
            item = _gold_item(obj, n, f"{path}:{n}: ")
            if item.id in first_line:
                raise GoldFormatError(f"{path}:{n}: duplicate id {item.id!r} "
                                      f"(first used on line {first_line[item.id]})")
            first_line[item.id] = n
            items.append(item)
    return items


def _is_string_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def _gold_item(obj: object, n: int, where: str) -> GoldItem:
    """One parsed gold line as a GoldItem; GoldFormatError (message starting with ``where``) if it is not valid."""
    if not isinstance(obj, dict):
        raise GoldFormatError(f"{where}expected a JSON object")
    question, answers, doc = obj.get("question"), obj.get("answers"), obj.get("doc")
    also_docs = obj.get("also_docs")
    also_docs = [] if also_docs is None else also_docs  # optional; null means none
    if not isinstance(question, str) or not question.strip():
        raise GoldFormatError(f"{where}'question' must be a non-empty string")
    if not _is_string_list(answers):
        raise GoldFormatError(f"{where}'answers' must be a list of non-empty strings")
    if doc is not None and not isinstance(doc, str):
        raise GoldFormatError(f"{where}'doc' must be a string or null")
    if not _is_string_list(also_docs):
        raise GoldFormatError(f"{where}'also_docs' must be a list of non-empty strings (document paths)")
    if also_docs and doc is None:
        raise GoldFormatError(f"{where}'also_docs' needs a 'doc' (with 'doc' null any document counts)")
    return GoldItem(str(obj.get("id", f"line{n}")), question, tuple(answers), doc, tuple(also_docs))


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = frozenset(string.punctuation)


def squad_normalize(text: str) -> str:
    """SQuAD's official answer normalisation."""
    text = "".join(c for c in text.lower() if c not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def _token_f1(prediction: str, gold: str) -> float:
    pred, ref = squad_normalize(prediction).split(), squad_normalize(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    same = sum((Counter(pred) & Counter(ref)).values())
    if not same:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def squad_em(prediction: str, answers: Sequence[str]) -> float:
    """Exact match after normalisation, best over the gold answers (no answers: the empty string is gold)."""
    return max(float(squad_normalize(prediction) == squad_normalize(g)) for g in (list(answers) or [""]))


def squad_f1(prediction: str, answers: Sequence[str]) -> float:
    return max(_token_f1(prediction, g) for g in (list(answers) or [""]))


@dataclass(frozen=True)
class QuestionResult:
    """One gold question: what was expected, what came back, and whether it passed.

    ``rank`` is the 1-based rank of the first right passage among everything returned (quotes, or the closest
    passages when abstaining); ``passed`` means: answerable and answered right at rank 1, or unanswerable and
    refused."""

    id: str
    question: str
    expected: tuple[str, ...]
    expected_doc: str | None
    answered: bool
    got: str | None  # the top quote (or, when abstaining, None)
    got_doc: str | None
    got_page: int | None
    highlight: str | None
    rank: int | None
    doc_rank: int | None
    evidence: float
    em: float
    f1: float
    latency_ms: float
    passed: bool
    expected_also_docs: tuple[str, ...] = ()
    got_title: str | None = None  # the top quote's full attribution, for exported reports
    got_start: int | None = None
    got_end: int | None = None

    @property
    def answerable(self) -> bool:
        return bool(self.expected)

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d["expected"] = list(self.expected)
        d["expected_also_docs"] = list(self.expected_also_docs)
        d["evidence"] = round(self.evidence, 4)
        d["latency_ms"] = round(self.latency_ms, 2)
        return d


@dataclass(frozen=True)
class EvalReport:
    k: int
    metrics: dict[str, float]
    results: tuple[QuestionResult, ...]

    def to_json(self) -> dict[str, object]:
        return {"n": len(self.results), "k": self.k, "metrics": self.metrics,
                "per_question": [r.to_json() for r in failures_first(self.results)]}


def failures_first(results: Sequence[QuestionResult]) -> list[QuestionResult]:
    return sorted(results, key=lambda r: r.passed)


def _rank(quotes: Sequence[tuple[str, str]], item: GoldItem) -> int | None:
    return first_hit_rank(quotes, item) if item.answerable else None


def _doc_rank(docs: Sequence[str], item: GoldItem) -> int | None:
    if not item.answerable or item.doc is None:
        return None
    return next((i for i, d in enumerate(docs, 1) if item.from_gold_doc(d)), None)


def judge(item: GoldItem, answer, latency_ms: float) -> QuestionResult:
    """Score one Answer against its gold item."""
    quotes = answer.quotes
    rank = _rank([(q.text, q.doc) for q in quotes], item)
    top = quotes[0] if quotes and answer.answered else None
    prediction = (top.highlight or top.text) if top is not None else ""
    em = squad_em(prediction, item.answers) if item.answerable else float(not answer.answered)
    f1 = squad_f1(prediction, item.answers) if item.answerable else float(not answer.answered)
    passed = (answer.answered and rank == 1) if item.answerable else not answer.answered
    return QuestionResult(
        id=item.id, question=item.question, expected=item.answers, expected_doc=item.doc,
        answered=answer.answered, got=top.text if top else None, got_doc=top.doc if top else None,
        got_page=top.page if top else None, highlight=top.highlight if top else None, rank=rank,
        doc_rank=_doc_rank([q.doc for q in quotes], item), evidence=answer.evidence, em=em, f1=f1,
        latency_ms=latency_ms, passed=passed, expected_also_docs=item.also_docs,
        got_title=top.title if top else None, got_start=top.start if top else None, got_end=top.end if top else None,
    )


def _share(values: Sequence[bool]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def _percentile(values: Sequence[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))] if s else 0.0


def refusal_auroc(results: Sequence[QuestionResult]) -> float | None:
    """Probability that an answerable question's evidence exceeds an unanswerable one's (ties count half): how
    well the evidence separates the two kinds, whatever the threshold. None without both kinds."""
    pos = [r.evidence for r in results if r.answerable]
    neg = [r.evidence for r in results if not r.answerable]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return round(wins / (len(pos) * len(neg)), 4)


def summarise(results: Sequence[QuestionResult], k: int) -> dict[str, float | None]:
    """The metrics of DESIGN.md and issue 6 over a list of judged questions."""
    ans = [r for r in results if r.answerable]
    unans = [r for r in results if not r.answerable]
    with_doc = [r for r in ans if r.expected_doc is not None]
    hit = lambda r, n: r.answered and r.rank is not None and r.rank <= n  # noqa: E731
    lat = [r.latency_ms for r in results]
    return {
        "questions": len(results), "answerable": len(ans), "unanswerable": len(unans),
        "answer@1": _share([hit(r, 1) for r in ans]),
        f"answer@{k}": _share([hit(r, k) for r in ans]),
        "doc_hit@1": _share([r.doc_rank == 1 for r in with_doc]),
        f"doc_hit@{k}": _share([r.doc_rank is not None for r in with_doc]),
        "mrr": round(sum(1 / r.rank for r in ans if hit(r, k)) / len(ans), 4) if ans else 0.0,
        "highlight_em": round(statistics.fmean(r.em for r in ans), 4) if ans else 0.0,
        "highlight_f1": round(statistics.fmean(r.f1 for r in ans), 4) if ans else 0.0,
        "unanswerable_refused": _share([not r.answered for r in unans]),
        "answerable_wrongly_refused": _share([not r.answered for r in ans]),
        "refusal_auroc": refusal_auroc(results),
        "latency_p50_ms": round(_percentile(lat, 0.5), 2), "latency_p95_ms": round(_percentile(lat, 0.95), 2),
    }


def evaluate(assistant: Assistant, items: Sequence[GoldItem], k: int = 3, settings: AnswerSettings | None = None,
             on_progress: Callable[[int, int], None] | None = None) -> EvalReport:
    """Ask every gold question (model warm) and judge the answers."""
    assistant.warm_up()
    results = []
    for n, item in enumerate(items, 1):
        answer = assistant.ask(item.question, k=k, settings=settings)
        results.append(judge(item, answer, answer.timings_ms.get("total", 0.0)))
        if on_progress:
            on_progress(n, len(items))
    return EvalReport(k, summarise(results, k), tuple(results))


@dataclass(frozen=True)
class OperatingPoint:
    """What answering at one evidence threshold would give: coverage (share of all questions answered) and
    precision (share of those answers that are right at rank 1; an answer to an unanswerable question is wrong)."""

    threshold: float
    coverage: float
    precision: float
    unanswerable_refused: float
    answerable_wrongly_refused: float


def precision_coverage(results: Sequence[QuestionResult]) -> list[OperatingPoint]:
    """Operating points as the abstention threshold moves over every observed evidence value."""
    if not results:
        return []
    ans = [r for r in results if r.answerable]
    unans = [r for r in results if not r.answerable]
    points = []
    for t in sorted({round(r.evidence, 4) for r in results}):
        answered = [r for r in results if r.evidence >= t]
        right = sum(1 for r in answered if r.answerable and r.rank == 1)
        points.append(OperatingPoint(
            threshold=t, coverage=round(len(answered) / len(results), 4),
            precision=round(right / len(answered), 4) if answered else 1.0,
            unanswerable_refused=_share([r.evidence < t for r in unans]),
            answerable_wrongly_refused=_share([r.evidence < t for r in ans]),
        ))
    return points
