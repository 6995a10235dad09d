"""SciFact train claims as reader groups, weakly labelled from document relevance.

Why: the reader learned on SQuAD (Wikipedia questions) read SciFact's scientific claims poorly (its rerank alone
0.60 nDCG@10 on test against the hybrid's 0.74), and the issue asks for SciFact train where SQuAD alone does not
carry over. SciFact (BEIR layout) says which abstracts a claim cites, not which sentences, so the labels are weak:
a claim's positive is one of the two sentences of a cited abstract closest to it (the product's MiniLM cosine,
as bench_scifact.py picks the sentences it reads); its negatives are the closest sentence of each of the
abstracts whole-document BM25 ranks highest that the claim does not cite (the hard negatives a rerank meets).
Each group is one claim, one positive and ``size - 1`` negatives: "which of these abstracts does the claim
cite", no unanswerable groups (every claim cites one).

Only the reader half of SciFact train (bench/public_data.scifact_train_halves) is read: the other half stays
unseen for the bench to choose its rerank on, and test claims are never read.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.index.lexical import Bm25Index, tokenize
from assistant.ingest.normalise import normalise_text
from assistant.ingest.splitting import split_sentences
from assistant.reader.inputs import Candidate
from bench.public_data import data_root, load_scifact, scifact_train_halves
from training.groups import Group

NEGATIVE_DOCUMENTS = 15  # BM25's best abstracts the claim does not cite, one sentence each
POSITIVES_PER_DOCUMENT = 2  # sentences of a cited abstract that may stand for it


@dataclass(frozen=True)
class Claim:
    qid: str
    text: str
    positives: tuple[Candidate, ...]
    negatives: tuple[Candidate, ...]


def abstract_candidates(title: str, abstract: str) -> list[Candidate]:
    """An abstract cut by the product's normaliser and splitter, each sentence with its title and neighbours."""
    text = normalise_text(abstract)
    sents = [text[s.start : s.end] for s in split_sentences(text)]
    title = " ".join(title.split())
    return [Candidate(s, title, sents[i - 1] if i else "", sents[i + 1] if i + 1 < len(sents) else "")
            for i, s in enumerate(sents)]


def load_claims(root: Path | None = None, max_claims: int | None = None, encode=None) -> list[Claim]:
    """The reader half's claims with their weakly labelled candidates. ``encode`` maps texts to normalised
    vectors (default: the product's embedder on torch); ``max_claims`` keeps the first N (the tiny run)."""
    if encode is None:
        from assistant.embedding.embedder import Embedder

        embedder = Embedder(backend="torch")
        encode = embedder.encode
    data = load_scifact(data_root(root))
    reader_half, _ = scifact_train_halves(data)
    qids = sorted(reader_half, key=int)[:max_claims]
    ids = sorted(data.corpus)
    bm25 = Bm25Index.build([tokenize(" ".join(data.corpus[d])) for d in ids])
    wanted: dict[str, list[str]] = {}
    for qid in qids:
        scores = bm25.scores(tokenize(data.queries[qid]))
        order = [ids[i] for i in np.argsort(-scores, kind="stable")[: NEGATIVE_DOCUMENTS + len(reader_half[qid])]]
        negs = [d for d in order if d not in reader_half[qid]][:NEGATIVE_DOCUMENTS]
        wanted[qid] = [*reader_half[qid], *negs]
    docs = sorted({d for ds in wanted.values() for d in ds if d in data.corpus}, key=int)
    cands = {d: abstract_candidates(*data.corpus[d]) for d in docs}
    flat = [(d, i) for d in docs for i in range(len(cands[d]))]
    vectors = np.asarray(encode([cands[d][i].sentence for d, i in flat]), dtype=np.float32)
    rows: dict[str, list[int]] = {}
    for r, (d, _) in enumerate(flat):
        rows.setdefault(d, []).append(r)
    qvecs = np.asarray(encode([data.queries[q] for q in qids]), dtype=np.float32)

    def closest(doc: str, qv: np.ndarray, n: int) -> list[Candidate]:
        r = rows.get(doc, [])
        order = np.argsort(-(vectors[r] @ qv), kind="stable")[:n]
        return [cands[doc][int(i)] for i in order]

    out = []
    for qid, qv in zip(qids, qvecs, strict=True):
        pos = [c for d in reader_half[qid] for c in closest(d, qv, POSITIVES_PER_DOCUMENT)]
        neg = [c for d in wanted[qid][len(reader_half[qid]):] for c in closest(d, qv, 1)]
        if pos and neg:
            out.append(Claim(qid, data.queries[qid], tuple(pos), tuple(neg)))
    return out


def claim_groups(claims: list[Claim], size: int, repeat: int, rng: random.Random) -> list[Group]:
    """``repeat`` groups per claim: a positive drawn from its cited abstracts' closest sentences, ``size - 1``
    negatives drawn from the other abstracts', in a random order."""
    out = []
    for _ in range(repeat):
        for c in claims:
            cands = [rng.choice(c.positives), *rng.sample(c.negatives, min(size - 1, len(c.negatives)))]
            order = list(range(len(cands)))
            rng.shuffle(order)
            out.append(Group(c.text, tuple(cands[i] for i in order), order.index(0), "scifact"))
    return out
