"""The terminal that runs the app shows only useful lines: no Streamlit warnings from the PDF worker processes.

Streamlit runs app.py as a module it installs as ``sys.modules["__main__"]``. The PDF loader's worker processes
are spawned, and a spawned process runs the parent's main script again (as ``__mp_main__``) before it does any
work: if app.py drew its page on import, every worker would print ~19 "missing ScriptRunContext" and "Session
state does not function" warnings. AppTest runs the script the way ``streamlit run`` does, and the workers
inherit this process's stderr, which ``capfd`` reads at the file-descriptor level.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Launch
from test_app import quote_blocks
from test_documents import make_pdf

from assistant.ingest.parallel import WORKERS_ENV

STREAMLIT_NOISE = ("ScriptRunContext", "Session state does not function", "streamlit run [FILE_NAME]")


def test_building_the_index_from_the_app_prints_no_streamlit_warnings_from_the_pdf_workers(
        launch: Launch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    make_pdf(docs / "lighthouse.pdf", ["The Gullrock lighthouse was automated in 1987.\nIts last keeper retired.",
                                       "Its lamp can be seen twenty-two nautical miles out to sea."])
    make_pdf(docs / "orchard.pdf", ["The Hillside orchard grows forty varieties of apple.",
                                    "Pruning happens every February."])
    monkeypatch.setenv(WORKERS_ENV, "2")  # two worker processes, as a build of the bundled corpus starts
    capfd.readouterr()
    at = launch(docs, tmp_path / "index")
    at.chat_input[0].set_value("When was the Gullrock lighthouse automated?").run()
    assert any("1987" in b for b in quote_blocks(at)), "the index was built from the PDFs"
    err = capfd.readouterr().err
    noise = [line for line in err.splitlines() if any(n in line for n in STREAMLIT_NOISE)]
    assert noise == [], f"{len(noise)} Streamlit warning lines, e.g. {noise[:1]}"
