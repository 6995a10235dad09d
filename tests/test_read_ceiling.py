"""bench/read_ceiling.py finds where the first stage puts a gold answer, with the product's own stages."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from read_ceiling import answer_rank, ceiling  # noqa: E402

from assistant.api import Assistant  # noqa: E402
from assistant.evaluation import GoldItem  # noqa: E402


def test_the_ceiling_counts_answers_within_each_depth() -> None:
    shares = ceiling([1, 5, None, 9])
    assert (shares["within_1"], shares["within_8"], shares["within_12"]) == (0.25, 0.5, 0.75)


def test_a_cover_line_answer_is_found_and_a_missing_answer_is_not(bundled_assistant: Assistant) -> None:
    found = GoldItem("x1", "who was the lead inspector of the 2021 wakefield inspection", ("Victoria Horsefield",),
                     "ofsted/ofsted-wakefield-05-january-2022.pdf")
    rank = answer_rank(bundled_assistant, found)
    assert rank is not None and rank <= 8
    missing = GoldItem("x2", "who was the lead inspector of the 2021 wakefield inspection", ("Zebedee Quartz",),
                       "ofsted/ofsted-wakefield-05-january-2022.pdf")
    assert answer_rank(bundled_assistant, missing) is None
