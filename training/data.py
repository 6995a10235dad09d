"""Training and evaluation data for the reader, from the SQuAD dev sets, cut into the product's own sentences.

Split (leak-free by article title): SQuAD v1.1 and v2.0 number their articles differently (v2.0 holds 35 of
v1.1's 48 articles, in another order), and bench_squad.py reports each version on the odd-numbered articles of
its own file. So the training articles are those even-numbered in EVERY file that holds them; an article odd in
either file is never trained on, and both report halves stay unseen. Report halves here are exactly
bench_squad's: odd articles of the v1.1 file (v1.1 metrics) and of the v2.0 file (v2.0 metrics).

Units: each paragraph goes through the product's normaliser and sentence splitter (assistant.documents,
assistant.text), so candidates look like the quotes the product returns. A sentence is a positive when its
folded text holds a folded gold answer (assistant.folding, as bench_squad's best-sentence metric counts).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from assistant.folding import fold
from assistant.ingest.normalise import normalise_text
from assistant.ingest.splitting import split_sentences
from assistant.reader.inputs import Candidate
from bench.public_data import SquadParagraph, data_root, squad_paragraphs, squad_questions


@dataclass(frozen=True)
class Paragraph:
    """One SQuAD paragraph as product units: its sentences rendered as reader candidates."""

    pid: int
    title: str
    candidates: tuple[Candidate, ...]
    folded: tuple[str, ...]  # folded sentence texts, for answer matching


@dataclass(frozen=True)
class Question:
    """One question with its gold paragraph; ``positives`` index the paragraph's answer-bearing sentences
    (empty for v2.0 unanswerable questions)."""

    qid: str
    text: str
    pid: int
    answers: tuple[str, ...]
    positives: tuple[int, ...]
    version: str


@dataclass
class SquadData:
    """Paragraphs by pid, training questions and the two report halves, plus the articles' paragraph ids."""

    paragraphs: dict[int, Paragraph]
    train: list[Question]
    report_v11: list[Question]
    report_v20: list[Question]
    article_pids: dict[str, list[int]] = field(default_factory=dict)
    train_titles: tuple[str, ...] = ()


def to_paragraph(p: SquadParagraph) -> Paragraph:
    """Split one paragraph with the product's splitter; each sentence carries title and neighbours."""
    text = normalise_text(p.context)
    sents = [text[s.start : s.end] for s in split_sentences(text)]
    cands = tuple(Candidate(s, p.title, sents[i - 1] if i else "", sents[i + 1] if i + 1 < len(sents) else "")
                  for i, s in enumerate(sents))
    return Paragraph(p.pid, p.title, cands, tuple(fold(s).text for s in sents))


def positives(par: Paragraph, answers: tuple[str, ...]) -> tuple[int, ...]:
    folded = [fold(normalise_text(a)).text for a in answers]
    return tuple(i for i, s in enumerate(par.folded) if any(a and a in s for a in folded))


def train_titles(root: Path) -> tuple[str, ...]:
    """Titles even-numbered in every SQuAD dev file that holds them (see the module docstring)."""
    import json

    parity: dict[str, set[int]] = defaultdict(set)
    for version in ("1.1", "2.0"):
        data = json.loads((root / "squad" / f"dev-v{version}.json").read_text(encoding="utf-8"))["data"]
        for i, art in enumerate(data):
            parity[art["title"].replace("_", " ")].add(i % 2)
    return tuple(sorted(t for t, p in parity.items() if p == {0}))


def load_squad(root: Path | None = None, max_articles: int | None = None, fold: str | None = None) -> SquadData:
    """Everything the training script and the evaluation need, built once (~10 s on an idle machine).
    ``max_articles`` keeps the first N training articles and the first N report articles of each file (the
    tiny configuration of the test suite). ``fold`` ("i/n") keeps every n-th training article from the i-th:
    the reader trained on one fold scores the other fold's questions unseen, for fitting the ranker."""
    root = data_root(root)
    paras = squad_paragraphs(root)
    titles = train_titles(root)[:max_articles]
    if fold:  # "i/n": every n-th training article from the i-th (cross-fitting: training/fit_ranker.py)
        i, n = (int(v) for v in fold.split("/"))
        titles = titles[i::n]
    questions = {v: squad_questions(root, v, paras) for v in ("1.1", "2.0")}
    report = {v: sorted({q.article for q in qs if q.article % 2 == 1})[:max_articles] for v, qs in questions.items()}
    keep_titles = set(titles) | {paras[q.pid].title for v, qs in questions.items() for q in qs
                                 if q.article in report[v]}
    by_pid = {p.pid: to_paragraph(p) for p in paras if p.title in keep_titles}
    article_pids: dict[str, list[int]] = defaultdict(list)
    for pid, par in by_pid.items():
        article_pids[par.title].append(pid)
    data = SquadData(by_pid, [], [], [], dict(article_pids), titles)
    seen: set[tuple[str, int]] = set()
    for version, qs in questions.items():
        for q in qs:
            if q.pid not in by_pid:
                continue
            par = by_pid[q.pid]
            item = Question(q.qid, q.question, q.pid, q.answers, positives(par, q.answers), version)
            if q.article in report[version]:
                (data.report_v11 if version == "1.1" else data.report_v20).append(item)
            elif q.article % 2 == 0 and par.title in titles and (q.question, q.pid) not in seen:
                seen.add((q.question, q.pid))
                if item.positives or not item.answers:  # drop answerable ones whose answer crosses a sentence break
                    data.train.append(item)
    return data


# --- adversarial questions: one constraint swapped for another of the same article ---------------------------

_YEAR = re.compile(r"\b(?:1[0-9]{3}|20[0-9]{2})\b")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")
_NAME = re.compile(r"\b[A-Z][\w'’.-]*[\w](?:\s+(?:of|the|de|and|du|von|van|for)?\s*[A-Z][\w'’.-]*[\w])*")
_QWORDS = frozenset("What Who Whom Whose When Where Which Why How In On At The A An By For From Of To During "
                    "After Before Did Does Do Is Are Was Were Name According".split())


def constraints(text: str) -> list[tuple[str, str]]:
    """(kind, surface) of the years, other numbers and capitalised names in ``text``; a question's leading
    question word is not a name."""
    out = [("year", m.group()) for m in _YEAR.finditer(text)]
    years = {s for _, s in out}
    out += [("number", m.group()) for m in _NUMBER.finditer(text) if m.group() not in years]
    for m in _NAME.finditer(text):
        words = m.group().split()
        while words and words[0] in _QWORDS:
            words = words[1:]
        if words and not any(ch.isdigit() for ch in words[0]):
            out.append(("name", " ".join(words)))
    return out


def article_constraints(data: SquadData, title: str) -> dict[str, list[str]]:
    """Every year, number and name in an article's paragraphs, by kind, in a fixed order."""
    pool: dict[str, dict[str, None]] = defaultdict(dict)
    for pid in data.article_pids[title]:
        for c in data.paragraphs[pid].candidates:
            for kind, surface in constraints(c.sentence):
                pool[kind][surface] = None
    return {k: list(v) for k, v in pool.items()}
