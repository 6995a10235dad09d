"""The learned ranker's examples: the product's own read candidates for SQuAD questions, labelled.

Every question goes through the product's stages (``Pipeline.prepare -> candidates -> first_stage -> read``) on
the SQuAD bench index (one file per dev-v1.1 paragraph, bench/public_data.py), so the ranker is fitted on exactly
the features it meets at question time. A read candidate is positive when it is a sentence of the question's gold
paragraph that holds a gold answer (folded, as bench_squad counts); unanswerable v2.0 questions and adversarial
twins (training/groups.py: a year, figure or name swapped for one of the same article that the paragraph lacks, or
for one from another article) have no positive. Settings: open (all paragraphs) and closed (the gold paragraph
only, through the ``docs`` filter). Split as training/data.py: fit on articles even in every file, report on the
odd-numbered ones of each file.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from assistant.api import Assistant
from assistant.folding import fold_text
from assistant.index.backend import IndexBackend
from assistant.query.pipeline import Pipeline
from bench.public_data import squad_doc_name
from training.data import Question, SquadData, constraints
from training.groups import GroupMaker, drawn_topical_form, keyword_form

KINDS = ("answerable", "unanswerable", "adversarial")


@dataclass(frozen=True)
class Ask:
    """One question to put to the product: its text, gold paragraph, answers, kind and setting."""

    text: str
    pid: int
    answers: tuple[str, ...]
    kind: str  # one of KINDS
    closed: bool
    version: str


@dataclass
class Rows:
    """Read candidates of many questions: features, labels, and per row its question's number."""

    x: list[np.ndarray] = field(default_factory=list)
    y: list[np.ndarray] = field(default_factory=list)
    group: list[np.ndarray] = field(default_factory=list)
    asks: list[Ask] = field(default_factory=list)
    in_candidates: list[bool] = field(default_factory=list)  # a positive was among all candidates (recall)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.concatenate(self.x), np.concatenate(self.y), np.concatenate(self.group)

    def save(self, path: Path) -> None:
        """Keep collected rows so that refitting (another C, another model) skips the reading."""
        x, y, g = self.arrays()
        asks = json.dumps([asdict(a) for a in self.asks])
        np.savez_compressed(path, x=x, y=y, g=g, asks=np.array(asks), recall=np.array(self.in_candidates))

    def extend(self, other: Rows) -> None:
        """Append another collection's rows (its question numbers shifted after this one's)."""
        offset = len(self.asks)
        self.x += other.x
        self.y += other.y
        self.group += [g + offset for g in other.group]
        self.asks += other.asks
        self.in_candidates += other.in_candidates

    @classmethod
    def load(cls, path: Path) -> Rows:
        z = np.load(path)
        g = z["g"]
        cuts = np.flatnonzero(np.diff(g)) + 1
        asks = [Ask(**{**a, "answers": tuple(a["answers"])}) for a in json.loads(str(z["asks"]))]
        return cls(np.split(z["x"], cuts), np.split(z["y"], cuts), np.split(g, cuts), asks, list(z["recall"]))


def other_article_swap(q: Question, data: SquadData, rng: random.Random) -> str | None:
    """The question with one constraint it has swapped for one of the same kind from another article."""
    mine = constraints(q.text)
    if not mine:
        return None
    kind, surface = rng.choice(mine)
    title = data.paragraphs[q.pid].title
    others = [t for t in sorted(data.article_pids) if t != title]
    if not others:
        return None
    pids = data.article_pids[rng.choice(others)]
    pool = [s for pid in pids for c in data.paragraphs[pid].candidates for k, s in constraints(c.sentence)
            if k == kind and s.lower() not in q.text.lower()]
    return q.text.replace(surface, rng.choice(pool), 1) if pool else None


def asks_for(data: SquadData, questions: list[Question], seed: int, adversarial_rate: float,
             closed_rate: float, keyword_rate: float = 0.0, topic_rate: float = 0.0) -> list[Ask]:
    """Each question open, a share of them closed too, adversarial twins for a share of answerable ones, and
    keyword twins ("wakefield 2018 overall grade", groups.keyword_form) for ``keyword_rate`` of the answerable
    ones, asked open: people type keywords, SQuAD writes full questions. Topic twins (groups.topical_form: the
    question naming its article's title, "... in Normans?") for ``topic_rate`` of every open ask, answerable,
    unanswerable and adversarial alike: people name the subject a sentence leaves to its document, and the reader
    punishes a question word its sentence lacks, so the ranker must see how far to trust it then. The twins draw
    from their own seeded streams, so rates of 0 give exactly the asks they gave before."""
    rng = random.Random(seed)
    keyword_rng = random.Random(seed + 7919)
    topic_rng = random.Random(seed + 104729)
    maker = GroupMaker(data, 1, rng)
    out: list[Ask] = []
    for q in questions:
        kind = "answerable" if q.answers else "unanswerable"
        settings = [False, True] if rng.random() < closed_rate else [False]
        out += [Ask(q.text, q.pid, q.answers, kind, c, q.version) for c in settings]
        if q.positives and rng.random() < adversarial_rate:
            twin = maker.adversarial(q) if rng.random() < 0.5 else None
            text = twin.question if twin is not None else other_article_swap(q, data, rng)
            if text is not None:
                out.append(Ask(text, q.pid, (), "adversarial", rng.random() < closed_rate, q.version))
        if keyword_rate and q.answers and keyword_rng.random() < keyword_rate:
            keywords = keyword_form(q.text, keyword_rng.random() < 0.5)
            if keywords is not None:
                out.append(Ask(keywords, q.pid, q.answers, "answerable", False, q.version))
    return _with_topics(out, data, topic_rng, topic_rate) if topic_rate else out


def _with_topics(asks: list[Ask], data: SquadData, rng: random.Random, rate: float) -> list[Ask]:
    """``asks`` with a topic twin (asked open) after a ``rate`` share of the open ones (see ``asks_for``)."""
    out: list[Ask] = []
    for ask in asks:
        out.append(ask)
        if ask.closed or rng.random() >= rate:
            continue
        text = drawn_topical_form(ask.text, data.paragraphs[ask.pid].title, rng)
        if text is not None:
            out.append(replace(ask, text=text))
    return out


def _holds(store: IndexBackend, sid: int, gold: int, answers: list[str]) -> bool:
    """The sentence is in the gold paragraph and holds a (folded) gold answer."""
    return int(store.sent_doc[sid]) == gold and any(a in fold_text(store.sentence_text(sid)) for a in answers)


def collect(index_dir: Path, data: SquadData, asks: list[Ask], read_k: int, reader_dir: Path | None = None,
            log_every: int = 2000) -> Rows:
    """Run the product's stages on every ask and keep the read candidates' features and labels; ``reader_dir``
    swaps in another reader model (a cross-fitting fold's), the shipped one by default."""
    assistant = Assistant(index_dir)
    snap = assistant.snapshot()
    pipe: Pipeline = snap.pipeline
    if reader_dir is not None:
        from assistant.reader.runtime import Reader

        pipe = Pipeline(snap.store, snap.embedder, reader=Reader(reader_dir).score)
    settings = replace(assistant.settings, reader=True)
    by_doc = {d.doc: i for i, d in enumerate(snap.store.docs)}
    rows = Rows()
    t0 = time.perf_counter()
    for n, ask in enumerate(asks):
        gold = by_doc[squad_doc_name(data.paragraphs[ask.pid].title, ask.pid)]
        query = pipe.prepare(ask.text)
        cands = pipe.candidates(query, settings, {gold} if ask.closed else None)
        if not len(cands.ids):
            continue
        first = pipe.first_stage(cands, settings)
        read = pipe.read(query, cands, first, read_k)
        answers = [fold_text(a) for a in ask.answers if fold_text(a)]
        rows.x.append(read.features)
        rows.y.append(np.array([_holds(snap.store, int(cands.ids[r]), gold, answers) for r in read.rows],
                               dtype=np.int8))
        rows.group.append(np.full(len(read.rows), len(rows.asks), dtype=np.int32))
        rows.asks.append(ask)
        rows.in_candidates.append(any(_holds(snap.store, int(i), gold, answers) for i in cands.ids))
        if log_every and (n + 1) % log_every == 0:
            print(f"  {n + 1}/{len(asks)} questions read ({time.perf_counter() - t0:.0f} s)", flush=True)
    return rows
