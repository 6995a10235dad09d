"""`assistant eval`: metrics and per-question results on a real (tiny) corpus, and clear errors for bad gold files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.cli import main
from assistant.evaluation import (
    GoldItem,
    QuestionResult,
    evaluate,
    first_hit_rank,
    load_gold,
    precision_coverage,
    squad_em,
    squad_f1,
    summarise,
)

GOLD = [
    {"id": "harbour-master", "question": "Who is the harbour master at Kestrel Bay?", "answers": ["Agnes Pollard"],
     "doc": "harbour.txt"},
    {"id": "pier", "question": "When was the Kestrel Bay harbour rebuilt?", "answers": ["1998"], "doc": "harbour.txt"},
    {"id": "comet", "question": "When did the observatory's astronomers discover a comet?",
     "answers": ["in the spring of 2004"], "doc": None},
    {"id": "wrong-doc", "question": "Who is the harbour master at Kestrel Bay?", "answers": ["Agnes Pollard"],
     "doc": "orchard.md"},
    {"id": "football", "question": "Which team won the 1966 football World Cup final at Wembley?", "answers": [],
     "doc": None},
]


@pytest.fixture
def tiny(make_corpus, tmp_path: Path) -> tuple[Path, Path]:
    index = tmp_path / "index"
    Assistant(index).build(make_corpus())
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(g) for g in GOLD) + "\n")
    return index, gold


def test_eval_reports_metrics_and_per_question_results(tiny, capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path) -> None:
    index, gold = tiny
    out_file = tmp_path / "reports" / "report.json"
    assert main(["eval", str(gold), "--index", str(index), "--json", "--quiet", "--out", str(out_file)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out_file.read_text())
    assert printed["n"] == 5
    m = printed["metrics"]
    assert (m["answerable"], m["unanswerable"]) == (4, 1)
    by_id = {r["id"]: r for r in printed["per_question"]}
    assert set(by_id) == {g["id"] for g in GOLD}
    # the right quote from the wrong document never counts
    assert by_id["wrong-doc"]["passed"] is False and by_id["wrong-doc"]["rank"] is None
    assert by_id["harbour-master"]["passed"] is True and "Agnes Pollard" in by_id["harbour-master"]["got"]
    assert by_id["harbour-master"]["got_doc"] == "harbour.txt"
    assert by_id["football"]["answered"] is False and by_id["football"]["passed"] is True
    # every metric agrees with the per-question rows it summarises
    rows = printed["per_question"]
    ans = [r for r in rows if r["expected"]]
    assert m["answer@1"] == round(sum(r["answered"] and r["rank"] == 1 for r in ans) / len(ans), 4)
    assert m["unanswerable_refused"] == 1.0
    assert 0 < m["latency_p50_ms"] <= m["latency_p95_ms"]
    assert [r["passed"] for r in rows] == sorted(r["passed"] for r in rows)  # failures first


def test_eval_text_report_is_a_readable_table(tiny, capsys: pytest.CaptureFixture[str]) -> None:
    index, gold = tiny
    assert main(["eval", str(gold), "--index", str(index), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "answer@1" in out and "unanswerable refused" in out and "latency p50" in out
    lines = out.splitlines()
    fail_line = next(ln for ln in lines if "wrong-doc" in ln)
    assert "FAIL" in fail_line
    assert lines.index(fail_line) < lines.index(next(ln for ln in lines if "harbour-mas" in ln))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": "a", "question": "Q?", "answers": []}\n{"id": "b", "question": "Q?", "answers": [}\n',
         "gold.jsonl:2: not valid JSON"),
        ('{"id": "a", "question": "", "answers": []}\n', "gold.jsonl:1: 'question' must be a non-empty string"),
        ('{"id": "a", "question": "Q?", "answers": "Leeds"}\n', "gold.jsonl:1: 'answers' must be a list"),
        ('\n\n["not", "an", "object"]\n', "gold.jsonl:3: expected a JSON object"),
        ('{"id": "a", "question": "Q?", "answers": []}\n'
         '{"id": "b", "question": "Q?", "answers": ["x"], "doc": "a.txt", "also_docs": "b.txt"}\n',
         "gold.jsonl:2: 'also_docs' must be a list of non-empty strings"),
        ('{"id": "a", "question": "Q?", "answers": ["x"], "doc": "a.txt", "also_docs": ["b.txt", 3]}\n',
         "gold.jsonl:1: 'also_docs' must be a list of non-empty strings"),
        ('{"id": "a", "question": "Q?", "answers": ["x"], "doc": "a.txt", "also_docs": [" "]}\n',
         "gold.jsonl:1: 'also_docs' must be a list of non-empty strings"),
        ('{"id": "a", "question": "Q?", "answers": ["x"], "doc": null, "also_docs": ["b.txt"]}\n',
         "gold.jsonl:1: 'also_docs' needs a 'doc'"),
    ],
)
def test_malformed_gold_file_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str,
                                            message: str) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(content)
    assert main(["eval", str(gold), "--index", str(tmp_path / "no-index"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_missing_gold_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path / "nope.jsonl"), "--quiet"]) == 2
    assert "not found" in capsys.readouterr().err


def test_squad_normalisation_matches_the_official_rules() -> None:
    assert squad_em("The Agnes Pollard.", ["agnes pollard"]) == 1.0
    assert squad_em("Agnes", ["Agnes Pollard"]) == 0.0
    assert squad_f1("Agnes", ["Agnes Pollard"]) == pytest.approx(2 / 3)
    assert squad_f1("", []) == 1.0 and squad_f1("something", []) == 0.0  # v2.0: refusing an unanswerable is right


def _result(rid: str, answerable: bool, evidence: float, rank: int | None) -> QuestionResult:
    answered = evidence >= 0
    passed = (answered and rank == 1) if answerable else not answered
    return QuestionResult(rid, "q", ("a",) if answerable else (), None, answered, None, None, None, None, rank,
                          None, evidence, 0.0, 0.0, 10.0, passed)


def test_precision_coverage_moves_with_the_threshold() -> None:
    results = [_result("a", True, 2.0, 1), _result("b", True, 1.0, 2), _result("c", False, 0.5, None),
               _result("d", True, -1.0, 1)]
    points = {p.threshold: p for p in precision_coverage(results)}
    assert points[-1.0].coverage == 1.0 and points[-1.0].precision == 0.5  # a and d right, b wrong rank, c wrong
    assert points[2.0].coverage == 0.25 and points[2.0].precision == 1.0
    assert points[1.0].unanswerable_refused == 1.0 and points[0.5].unanswerable_refused == 0.0
    m = summarise(results, 3)
    assert m["answer@1"] == round(1 / 3, 4) and m["answer@3"] == round(2 / 3, 4)
    assert m["answerable_wrongly_refused"] == round(1 / 3, 4)
    assert m["mrr"] == round((1 + 0.5) / 3, 4)


def test_evaluate_on_bundled_gold_file_parses_and_scores_every_line(tiny) -> None:
    """The shipped gold files load cleanly; evaluate() returns one result per item (on the tiny index here)."""
    root = Path(__file__).resolve().parent.parent / "eval"
    items = load_gold(root / "bundled_gold_test.jsonl")[:5]
    report = evaluate(Assistant(tiny[0]), items)
    assert len(report.results) == 5 and report.metrics["questions"] == 5


def test_also_docs_are_read_and_a_quote_from_one_of_them_counts(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "a", "question": "Who is the harbour master?", "answers": ["Agnes Pollard"],
                                "doc": "ofsted/report.pdf", "also_docs": ["seeds/article.txt"]}) + "\n"
                    + json.dumps({"id": "b", "question": "Q?", "answers": ["x"], "doc": "a.txt",
                                  "also_docs": None}) + "\n")
    item, plain = load_gold(gold)
    assert item.also_docs == ("seeds/article.txt",) and plain.also_docs == ()
    quotes = [("Agnes Pollard keeps the log.", "other/notes.md"),
              ("The harbour master, agnes  pollard, said so.", "documents/seeds/article.txt")]
    assert first_hit_rank(quotes, item) == 2  # the right words from a document not listed never count
    assert first_hit_rank(quotes, GoldItem("c", "q", ("Agnes Pollard",), "ofsted/report.pdf")) is None


def test_eval_counts_a_quote_from_also_docs(tiny, tmp_path: Path) -> None:
    index, _ = tiny
    gold = tmp_path / "also.jsonl"
    lines = [{"id": "via-also", "question": "Who is the harbour master at Kestrel Bay?", "answers": ["Agnes Pollard"],
              "doc": "orchard.md", "also_docs": ["harbour.txt"]},
             {"id": "no-also", "question": "Who is the harbour master at Kestrel Bay?", "answers": ["Agnes Pollard"],
              "doc": "orchard.md"}]
    gold.write_text("".join(json.dumps(g) + "\n" for g in lines))
    by_id = {r.id: r for r in evaluate(Assistant(index), load_gold(gold)).results}
    assert by_id["via-also"].passed and by_id["via-also"].rank == 1 and by_id["via-also"].doc_rank == 1
    assert by_id["via-also"].to_json()["expected_also_docs"] == ["harbour.txt"]
    assert not by_id["no-also"].passed and by_id["no-also"].rank is None
