"""The Qdrant backend (``--store qdrant+local:PATH``, qdrant-client's embedded mode: the same API in-process).

The question and citation stages run unchanged on top of it, so the tiny corpus must answer exactly as the
local backend does (everything but timings); builds are incremental by content hash and replace the old build
whole; a build from another model, a damaged build, a server that is down and missing extras are each refused
with one line. (test_qdrant_crash.py kills builds; test_no_network.py runs it with the network blocked.)
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO_ROOT
from test_cli import assert_one_line_error, run_cli

pytest.importorskip("qdrant_client", reason="the scale extras: pip install -e '.[scale]' (make test installs them)")

from assistant.api import Assistant  # noqa: E402
from assistant.errors import IndexUnavailable  # noqa: E402
from assistant.index.lexical import tokenize  # noqa: E402
from assistant.index.qdrant_store import _name, connect, disconnect  # noqa: E402

QUESTIONS = ("Who keeps a logbook of every vessel that enters the harbour?", "When does pruning happen?",
             "How large is the telescope mirror?", "What is the capital of France?",
             "When was the comet discovered?")
QUOTES = ("The harbour master, Agnes Pollard, keeps a logbook of every vessel that enters.",
          "Visitors may pick their own fruit on Sundays during September.", "Penguins nest on icebergs.")


@pytest.fixture
def spec(tmp_path: Path) -> Iterator[str]:
    store = f"qdrant+local:{tmp_path / 'qdrant'}"
    yield store
    disconnect(store)


def _untimed(out: dict) -> dict:
    out.pop("timings_ms")
    return out


def _shown(assistant: Assistant, question: str, docs: list[str] | None = None) -> dict:
    return _untimed(assistant.ask(question, docs=docs).to_json())


def test_tiny_corpus_answers_exactly_as_the_local_backend(tmp_path: Path, make_corpus, spec: str) -> None:
    docs = make_corpus()
    local, qdrant = Assistant(tmp_path / "local"), Assistant(tmp_path / "qidx", store=spec)
    local_report, qdrant_report = local.build(docs), qdrant.build(docs)
    assert (qdrant_report.n_sentences, qdrant_report.n_chunks) == (local_report.n_sentences, local_report.n_chunks)
    assert qdrant_report.index_path.startswith(spec)
    for q in QUESTIONS:
        assert _shown(qdrant, q) == _shown(local, q), q
    assert _shown(qdrant, QUESTIONS[0], ["orchard.md"]) == _shown(local, QUESTIONS[0], ["orchard.md"])
    per_doc = [_untimed(a.ask_per_document("What was donated?").to_json()) for a in (local, qdrant)]
    assert per_doc[0] == per_doc[1] and per_doc[0]["quotes"]
    for quote in QUOTES:
        assert _untimed(qdrant.cite(quote).to_json()) == _untimed(local.cite(quote).to_json()), quote
    # the stored units are the same: vectors bit for bit, BM25 scores up to float rounding
    ls, qs = local.store, qdrant.store
    assert np.array_equal(ls.sent_vectors, qs.sent_vectors) and np.array_equal(ls.chunk_vectors, qs.chunk_vectors)
    for name in ("sent_doc", "sent_page", "sent_start", "sent_end", "chunk_first", "chunk_last", "sent_boilerplate"):
        assert np.array_equal(ls.arrays[name], qs.arrays[name]), name
    toks = tokenize("harbour logbook vessel pruning the comet comet")
    for kind in ("sent_bm25", "chunk_bm25"):
        a, b = getattr(ls, kind).search(toks), getattr(qs, kind).search(toks)
        assert np.array_equal(a.ids, b.ids) and np.allclose(a.values, b.values, rtol=1e-5), kind
        assert getattr(ls, kind).idf(toks) == pytest.approx(getattr(qs, kind).idf(toks))
        ids = np.arange(getattr(ls, "n_sentences" if kind == "sent_bm25" else "n_chunks"))
        assert np.array_equal(getattr(ls, kind).holds(toks, ids), getattr(qs, kind).holds(toks, ids))
        unit_doc = ls.sent_doc if kind == "sent_bm25" else ls.chunk_doc
        cut, filtered = a.within(unit_doc, {1}), getattr(qs, kind).search_documents(toks, {1})  # payload filter
        assert len(cut.ids) and np.array_equal(cut.ids, filtered.ids) and np.allclose(cut.values, filtered.values)
    q = local.snapshot().embedder.encode_query("Who keeps the harbour logbook?")
    for index, vectors, unit_doc in ((qs.sent_index, ls.sent_vectors, ls.sent_doc),
                                     (qs.chunk_index, ls.chunk_vectors, ls.chunk_doc)):
        units = np.flatnonzero(unit_doc == 1)
        best = units[np.argsort(-(vectors[units] @ q), kind="stable")[:3]]
        assert np.array_equal(index.search_documents(q, 3, {1}), best)


def test_builds_are_incremental_and_replace_the_old_build_whole(tmp_path: Path, make_corpus, spec: str) -> None:
    docs = make_corpus()
    assistant = Assistant(tmp_path / "qidx", store=spec)
    first = assistant.build(docs)
    old_build = assistant.storage.current()
    (docs / "orchard.md").write_text("# The Hillside Orchard\n\nThe orchard grows sixty varieties of pear.\n")
    second = assistant.build(docs)
    assert second.changed == ("orchard.md",) and sorted(second.unchanged) == ["harbour.txt", "observatory.txt"]
    assert 0 < second.embedded < first.embedded  # only the changed document's sentences and chunks
    assert assistant.storage.current() != old_build
    answer = assistant.ask("How many varieties of pear does the orchard grow?")
    assert answer.answered and "sixty varieties of pear" in answer.quotes[0].text
    collections = sorted(c.name for c in connect(spec).get_collections().collections)
    assert collections == sorted(_name(k, assistant.storage.current()) for k in ("docs", "sentences", "chunks"))
    third = assistant.build(docs)
    assert not third.written and third.embedded == 0


def test_a_build_from_another_model_or_a_damaged_build_is_refused(tmp_path: Path, make_corpus, spec: str) -> None:
    docs = make_corpus()
    Assistant(tmp_path / "qidx", store=spec).build(docs)
    client = connect(spec)
    build = Assistant(tmp_path / "qidx", store=spec).storage.current()
    meta = client.retrieve(_name("docs", build), [0], with_payload=True)[0].payload
    client.set_payload(_name("docs", build), {"manifest": {**meta["manifest"], "model": "other/model",
                                                           "dimension": 768}}, points=[0])
    with pytest.raises(IndexUnavailable, match=r"384-dimensional vectors, but its manifest's model 'other/model'"):
        Assistant(tmp_path / "qidx", store=spec).ask("Who keeps a logbook?")
    client.set_payload(_name("docs", build), {"manifest": meta["manifest"]}, points=[0])
    client.delete(_name("sentences", build), points_selector=[client.count(_name("sentences", build)).count - 1])
    with pytest.raises(IndexUnavailable, match="inconsistent"):
        Assistant(tmp_path / "qidx", store=spec).ask("Who keeps a logbook?")
    client.delete(_name("docs", build), points_selector=[0])  # no manifest: not a build of ours
    with pytest.raises(IndexUnavailable, match="is not an assistant index"):
        Assistant(tmp_path / "qidx", store=spec).ask("Who keeps a logbook?")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_that_is_down_gives_one_line(tmp_path: Path) -> None:
    store = f"qdrant://127.0.0.1:{_closed_port()}"
    for args in (("ask", "Who keeps a logbook?"), ("cite", "a logbook"), ("index", str(tmp_path))):
        run = run_cli(*args, "--index", str(tmp_path / "idx"), "--store", store)
        assert run.returncode == 2
        line = assert_one_line_error(run.stderr)
        assert f"the Qdrant store {store} cannot be used" in line and "is the server running?" in line


def test_without_the_extras_store_says_how_to_install_them(tmp_path: Path) -> None:
    script = ("import sys; sys.modules['qdrant_client'] = None\n"  # as if qdrant-client were not installed
              "from assistant.cli import main; sys.exit(main(sys.argv[1:]))")
    for args in (("ask", "Who keeps a logbook?"), ("index", str(tmp_path))):
        run = subprocess.run([sys.executable, "-c", script, *args, "--index", str(tmp_path / "i"), "--store",
                              f"qdrant+local:{tmp_path / 'q'}"], capture_output=True, text=True, cwd=REPO_ROOT,
                             timeout=300)
        assert run.returncode == 2
        assert 'pip install -e ".[scale]"' in assert_one_line_error(run.stderr)
    run = run_cli("ask", "x", "--index", str(tmp_path / "i"), "--store", "mongodb://db")
    assert run.returncode == 2 and "use qdrant+local:PATH or qdrant://HOST:PORT" in assert_one_line_error(run.stderr)


def test_the_app_answers_from_the_store_assistant_store_names(tmp_path: Path, make_corpus, spec: str, launch,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from test_app import ask, quote_blocks, visible_text

    monkeypatch.setenv("ASSISTANT_STORE", spec)
    at = ask(launch(make_corpus(), tmp_path / "idx"), "Who keeps a logbook of every vessel that enters the harbour?")
    assert "Agnes Pollard" in visible_text(quote_blocks(at)[0])
    assert connect(spec).get_aliases().aliases  # built on Qdrant, on the app's first start
    assert not (tmp_path / "idx" / "CURRENT").exists()  # not in the local index folder
