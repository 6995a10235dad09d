"""Listwise training groups: one question with up to ``size`` candidates and the index of the answering one.

Why groups: the reader's job at question time is to rank a handful of candidates and to say when none answers,
so each training example is that situation. ``target == size`` means "none of these answers" (the extra
no-answer logit of the loss): v2.0 unanswerable questions, and adversarial questions whose constraint (a year,
number or name) was swapped for another of the same article that the paragraph does not hold, paired with the
sentence that answered the original question. That pairing teaches the model to check a question's constraints
against the candidate instead of matching its topic.

Negatives, in order: other sentences of the gold paragraph, then "hard" sentences of other paragraphs of the
same article (the ones sharing most words with the question, minus any that hold a gold answer).

Keyword forms: people type "wakefield 2018 overall grade" or "who leads bradford council", not SQuAD's full
questions, and the reader trained on full questions alone picked the right sentence for 0.40 of such keyword
questions on the gold tuning halves against 0.57 of full ones. So a share of groups (``keyword_rate``) can ask
its question in keyword form: its words without function words and punctuation, lower case, the question word
kept at the front half of the time (``keyword_form``). Measured at 0.3 (2026-12-02): the reader alone picked
better (keyword questions 0.56, SQuAD closed 0.816 against 0.800) but the product's ranker over it did not (tuning
halves and SQuAD report figures flat or lower, README), so the shipped reader is trained without it (rate 0).

Topic words: SQuAD questions are written looking at the paragraph, so nearly every content word of a question is in
its answer sentence, and a reader trained on them alone learns that a question word missing from the sentence
means "not the answer". People name the subject the sentence leaves to its document: "who carried out the
independent review into child sexual exploitation in bradford" over "... carried out independently by Clare
Hyde MBE." (the shipped reader: +3.1 for "who carried out the independent review?", -3.2 with the topic added).
So a share of groups (``topic_rate``) name their article's title in the question (``topical_form``: "... in
Normans?", "normans ...?", "..., Normans?"); every candidate of a group comes from that article and carries the
title, so the topic cannot tell them apart, only the sentence can. Applied alike to answerable, unanswerable and
adversarial groups, so naming a topic says nothing about whether any candidate answers.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace

from assistant.folding import fold
from assistant.reader.inputs import Candidate
from training.data import Question, SquadData, article_constraints, constraints

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("the a an of in on at to for by with from and or is was were are be been what which who whom "
                  "whose when where why how did does do that this as its it their his her they he she".split())


@dataclass(frozen=True)
class Group:
    question: str
    candidates: tuple[Candidate, ...]
    target: int  # index of the answering candidate, or len(candidates) for "none answers"
    kind: str  # "answerable", "unanswerable" or "adversarial"


_KEYWORD_TOKEN = re.compile(r"[\w£%]+(?:[-.,'’][\w%]+)*")
_QUESTION_WORDS = frozenset("what which who whom whose when where why how".split())
_FUNCTION = _STOP | frozenset("did does do has have had be being can could would should will there into "
                              "about some any".split())


def keyword_form(question: str, keep_question_word: bool) -> str | None:
    """The question as a keyword query (see the module doc); None when that leaves fewer than two words or
    changes nothing."""
    tokens = _KEYWORD_TOKEN.findall(question)
    kept = [t.lower() for t in tokens if t.lower() not in _FUNCTION]
    if len(kept) < 2 or len(kept) == len(tokens):
        return None
    if keep_question_word and tokens and tokens[0].lower() in _QUESTION_WORDS:
        kept.insert(0, tokens[0].lower())
    return " ".join(kept)


_TOPIC_FORMS = ("{q} in {t}?", "{t} {q}?", "{q}, {t}?")


def topical_form(question: str, title: str, form: int, lower: bool) -> str | None:
    """The question naming ``title`` in one of _TOPIC_FORMS; None when the question already holds every word of
    the title (nothing to add)."""
    if not words(title) - words(question):
        return None
    topic = title.replace("_", " ").strip()
    return _TOPIC_FORMS[form].format(q=question.strip().rstrip("?").rstrip(), t=topic.lower() if lower else topic)


def drawn_topical_form(question: str, title: str, rng: random.Random) -> str | None:
    """``topical_form`` with its form and casing drawn from ``rng`` (the reader's groups and the ranker's asks)."""
    return topical_form(question, title, rng.randrange(len(_TOPIC_FORMS)), rng.random() < 0.5)


def _asking(group: Group, question: str | None) -> Group:
    """``group`` with its question asked as ``question`` (unchanged when there is none)."""
    return group if question is None else replace(group, question=question)


def words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP)


class GroupMaker:
    """Builds groups for one epoch; every random choice goes through ``rng`` so a seed fixes the data."""

    def __init__(self, data: SquadData, size: int, rng: random.Random) -> None:
        self.data, self.size, self.rng = data, size, rng
        self._pools: dict[str, dict[str, list[str]]] = {}
        self._words = {(pid, i): words(c.sentence) for pid, p in data.paragraphs.items()
                       for i, c in enumerate(p.candidates)}

    def hard(self, q: Question, exclude_answers: bool, n: int) -> list[Candidate]:
        """``n`` sentences of the article's other paragraphs, drawn from the 3n sharing most question words."""
        if n <= 0:
            return []
        title = self.data.paragraphs[q.pid].title
        qw = words(q.text)
        folded = [fold(a).text for a in q.answers] if exclude_answers else []
        pool: list[tuple[int, int, int]] = []
        for pid in self.data.article_pids[title]:
            if pid == q.pid:
                continue
            par = self.data.paragraphs[pid]
            for i in range(len(par.candidates)):
                if not any(a and a in par.folded[i] for a in folded):
                    pool.append((-len(qw & self._words[(pid, i)]), pid, i))
        pool.sort()
        top = pool[: 3 * n]
        picks = self.rng.sample(top, min(n, len(top)))
        return [self.data.paragraphs[pid].candidates[i] for _, pid, i in picks]

    def _negatives(self, q: Question, n: int) -> list[Candidate]:
        par = self.data.paragraphs[q.pid]
        own = [c for i, c in enumerate(par.candidates) if i not in q.positives]
        self.rng.shuffle(own)
        own = own[:n]
        return own + self.hard(q, True, n - len(own))

    def answerable(self, q: Question) -> Group:
        pos = self.data.paragraphs[q.pid].candidates[self.rng.choice(q.positives)]
        cands = [pos, *self._negatives(q, self.size - 1)]
        order = list(range(len(cands)))
        self.rng.shuffle(order)
        return Group(q.text, tuple(cands[i] for i in order), order.index(0), "answerable")

    def unanswerable(self, q: Question) -> Group:
        cands = self._negatives(q, self.size)
        return Group(q.text, tuple(cands), len(cands), "unanswerable")

    def adversarial(self, q: Question) -> Group | None:
        """The question with one of its constraints that the gold paragraph holds swapped for one of the same
        kind from the article that the paragraph does not hold; None when no such swap exists."""
        par = self.data.paragraphs[q.pid]
        text = " ".join(c.sentence for c in par.candidates)
        mine = [(k, s) for k, s in constraints(q.text) if s in text]
        if not mine:
            return None
        kind, surface = self.rng.choice(mine)
        pool = self._pools.setdefault(par.title, article_constraints(self.data, par.title))
        options = [s for s in pool.get(kind, []) if s.lower() not in text.lower() and s.lower() not in q.text.lower()]
        if not options:
            return None
        swapped = q.text.replace(surface, self.rng.choice(options), 1)
        base = self.answerable(q)
        return Group(swapped, base.candidates, len(base.candidates), "adversarial")

    def keyworded(self, group: Group, rate: float) -> Group:
        """``group`` asked in keyword form, for a ``rate`` share of groups (when a keyword form exists)."""
        if rate <= 0 or self.rng.random() >= rate:
            return group
        return _asking(group, keyword_form(group.question, self.rng.random() < 0.5))

    def topical(self, group: Group, rate: float) -> Group:
        """``group`` naming its article's title in the question, for a ``rate`` share of groups."""
        if rate <= 0 or self.rng.random() >= rate or not group.candidates:
            return group
        return _asking(group, drawn_topical_form(group.question, group.candidates[0].title, self.rng))

    def epoch(self, questions: list[Question], adversarial_rate: float, keyword_rate: float = 0.0,
              topic_rate: float = 0.0) -> list[Group]:
        """One shuffled pass: every question once, plus an adversarial twin for a share of answerable ones; a
        ``keyword_rate`` share of all of them asked in keyword form, a ``topic_rate`` share naming their topic."""
        out: list[Group] = []
        for q in questions:
            if q.positives:
                out.append(self.answerable(q))
                if self.rng.random() < adversarial_rate:
                    adv = self.adversarial(q)
                    if adv is not None:
                        out.append(adv)
            else:
                out.append(self.unanswerable(q))
        out = [self.keyworded(g, keyword_rate) for g in out]
        out = [self.topical(g, topic_rate) for g in out]
        self.rng.shuffle(out)
        return out
