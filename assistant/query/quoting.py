"""Stage 5 of the question path: turn scored candidates into verbatim, de-duplicated, highlighted quotes.

A quote is always ``page_text[start:end]`` of one page; nothing is paraphrased. A neighbour sentence is merged in
when it scores nearly as well, when the best sentence is a stub of a table row, or when the question wants a kind
of span (a name, a date) that only the neighbour holds.
"""

from __future__ import annotations

import numpy as np

from assistant.config import AnswerSettings
from assistant.folding import fold_text
from assistant.index.backend import IndexBackend
from assistant.query.answer_types import answer_spans
from assistant.query.highlight import SentenceHighlighter
from assistant.query.types import Candidates, Location, Query, Quote


class Extractor:
    """Turns scored candidates into de-duplicated, merged, highlighted quotes."""

    def __init__(self, store: IndexBackend, settings: AnswerSettings) -> None:
        self.store = store
        self.settings = settings

    def _same_page(self, a: int, b: int) -> bool:
        s = self.store
        return 0 <= b < s.n_sentences and s.sent_doc[a] == s.sent_doc[b] and s.sent_page[a] == s.sent_page[b]

    def _same_paragraph(self, a: int, b: int) -> bool:
        """Neighbours on one page with no blank line between them (a blank line ends a paragraph or a table)."""
        s = self.store
        if not (0 <= b < s.n_sentences and s.sent_doc[a] == s.sent_doc[b] and s.sent_page[a] == s.sent_page[b]):
            return False
        lo, hi = min(a, b), max(a, b)
        gap = s.page_text(int(s.sent_doc[a]), int(s.sent_page[a]))[int(s.sent_end[lo]) : int(s.sent_start[hi])]
        return "\n\n" not in gap

    def _span(self, sid: int, by_id: dict[int, float], score: float) -> tuple[int, int]:
        """Sentence range for a quote: merge a neighbour that scores nearly as well, or a stub of a row."""
        first = last = sid
        for nb in (sid - 1, sid + 1):
            if not self._same_paragraph(sid, nb):
                continue
            near = nb in by_id and by_id[nb] >= score - self.settings.merge_margin
            stub = len(self.store.sentence_text(sid).split()) <= 3 and nb == sid - 1
            if near or stub:
                first, last = min(first, nb), max(last, nb)
        return first, last

    def _complete_type(self, query: Query, first: int, last: int) -> tuple[int, int]:
        """Context lives outside the sentence: when a question wants a kind of span (a name, a date) that the
        quote lacks and the next (or previous) sentence on the page has one, take that sentence in (news
        paragraphs are one sentence long: "Councillor Sue Duffy ... said:" / "'... on the right track'")."""
        s = self.store
        if query.kind is None or not self.settings.complete_answer_type:
            return first, last
        text = " ".join(s.sentence_text(i) for i in range(first, last + 1))
        if answer_spans(text, query.kind, query.text):
            return first, last
        for nb, new in ((last + 1, (first, last + 1)), (first - 1, (first - 1, last))):
            if self._same_page(first if nb < first else last, nb) and answer_spans(
                    s.sentence_text(nb), query.kind, query.text):
                return new
        return first, last

    def _highlight(self, query: Query, text: str, first: int, last: int,
                   head: SentenceHighlighter | None) -> tuple[int, int] | None:
        """The answer span in the quote of sentences ``first..last`` (offsets into ``text``): the highlight head's
        best over the sentences the reader read (a typed question keeps its answer type's spans when the quote
        has any), else the answer type's first span."""
        s = self.store
        pattern = answer_spans(text, query.kind, query.text)
        found = [(hl, int(s.sent_start[i]) - int(s.sent_start[first])) for i in range(first, last + 1)
                 if head is not None and (hl := head(i)) is not None]
        if pattern:
            found = [(hl, shift) for hl, shift in found if hl.typed]
        if found:
            hl, shift = max(found, key=lambda f: f[0].score)
            return shift + hl.start, shift + hl.end
        return pattern[0] if pattern else None

    def quotes(self, query: Query, cands: Candidates, scores: np.ndarray, k: int,
               merge_scores: np.ndarray | None = None, head: SentenceHighlighter | None = None) -> list[Quote]:
        """Quotes in ``scores`` order; whether a neighbour is merged in is judged on ``merge_scores`` (the first
        stage's, on the scale ``merge_margin`` was chosen for), ``scores`` when not given. ``head`` gives the
        highlight head's span of each sentence the reader read."""
        s = self.store
        merge_scores = scores if merge_scores is None else merge_scores
        by_id = {int(i): float(v) for i, v in zip(cands.ids, merge_scores, strict=True)}
        used: set[int] = set()
        out: list[Quote] = []
        seen_text: dict[str, int] = {}
        for idx in np.argsort(-scores):
            sid = int(cands.ids[idx])
            if sid in used:
                continue
            first, last = self._complete_type(query, *self._span(sid, by_id, float(merge_scores[idx])))
            if any(i in used for i in range(first, last + 1)):
                first = last = sid
            used.update(range(first, last + 1))
            doc_id, page_idx = int(s.sent_doc[sid]), int(s.sent_page[sid])
            record = s.docs[doc_id]
            start, end = int(s.sent_start[first]), int(s.sent_end[last])
            page_text = record.pages[page_idx]
            text = page_text[start:end]
            loc = Location(record.doc, record.page_numbers[page_idx], start, end)
            key = fold_text(text)
            if key in seen_text:
                q = out[seen_text[key]]
                out[seen_text[key]] = Quote(**{**q.__dict__, "also_in": (*q.also_in, loc)})
                continue
            hl = self._highlight(query, text, first, last, head)
            h_start = start + hl[0] if hl else None
            h_end = start + hl[1] if hl else None
            boxes = s.page_boxes.boxes(doc_id, page_idx, start, end)
            out.append(Quote(
                text=text, doc=record.doc, title=record.title, page=loc.page, start=start, end=end,
                score=float(scores[idx]), highlight=page_text[h_start:h_end] if hl else None,
                highlight_start=h_start, highlight_end=h_end, date=record.date, boxes=boxes,
                ocr=loc.page in record.ocr_pages,
                highlight_boxes=(s.page_boxes.boxes(doc_id, page_idx, h_start, h_end)
                                 if h_start is not None and h_end is not None and boxes is not None else None),
            ))
            seen_text[key] = len(out) - 1
            if len(out) >= k:
                break
        return out
