"""No network: loading the model, indexing, answering and citation lookup open no connection.

The documents may hold personal data about children, so the tool must work with the network cable out. A fresh
interpreter makes every socket connection and name lookup fail (and records the attempt) before anything else is
imported, then runs the real CLI: `index`, `ask`, `cite`. The offline switches for the Hugging Face libraries
are removed from its environment, so what is tested is the product's own setting, not the test's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, TINY_FILES, write_corpus

# Every way out to the network raises, and is recorded in ``attempts``: the start of each guarded child script.
NETWORK_BLOCK = r'''
import json, socket, sys

attempts = []

def refuse(name):
    def blocked(*args, **kwargs):
        attempts.append(f"{name}{args[1:2] if name.startswith('socket.') else args[:1]}")
        raise OSError(101, "Network is unreachable (blocked by test_no_network)")
    return blocked

for name in ("connect", "connect_ex", "sendto"):
    setattr(socket.socket, name, refuse(f"socket.{name}"))
for name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex"):
    setattr(socket, name, refuse(name))
'''

GUARDED = NETWORK_BLOCK + r'''
from assistant.cli import main

docs, index = sys.argv[1], sys.argv[2]
codes = [main(["index", docs, "--index", index, "--quiet", "--json"]),
         main(["ask", "Who is the harbour master that keeps a logbook?", "--index", index, "--json"]),
         main(["cite", "the harbour master, Agnes Pollard, keeps a logbook", "--index", index, "--json"])]
print(json.dumps({"codes": codes, "attempts": attempts}))
'''


def run_guarded(tmp_path: Path, **env_extra: str) -> tuple[dict, dict, dict, dict]:
    """Index, ask and cite in a fresh process whose socket connections all fail; its four JSON results."""
    docs = write_corpus(tmp_path / "docs", TINY_FILES)
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env.update(PYTHONPATH=str(REPO_ROOT), **env_extra)
    run = subprocess.run([sys.executable, "-c", GUARDED, str(docs), str(tmp_path / "index")],
                         capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    index_report, answer, citation, guard = (json.loads(line) for line in run.stdout.strip().splitlines()[-4:])
    return index_report, answer, citation, guard


def test_model_load_index_ask_and_cite_open_no_connection(tmp_path: Path) -> None:
    index_report, answer, citation, guard = run_guarded(tmp_path)
    assert guard == {"codes": [0, 0, 0], "attempts": []}
    assert index_report["n_documents"] == 3 and index_report["embedded"] > 0
    assert answer["answered"] and "Agnes Pollard" in answer["quotes"][0]["text"]
    assert citation["verdict"] == "exact" and citation["matches"][0]["doc"] == "harbour.txt"


def test_the_qdrant_local_store_opens_no_connection(tmp_path: Path) -> None:
    """The same run with ``ASSISTANT_STORE=qdrant+local:PATH`` (the Qdrant backend in-process): no socket either."""
    pytest.importorskip("qdrant_client", reason="the scale extras: pip install -e '.[scale]'")
    index_report, answer, citation, guard = run_guarded(tmp_path, ASSISTANT_STORE=f"qdrant+local:{tmp_path / 'q'}")
    assert guard == {"codes": [0, 0, 0], "attempts": []}
    assert index_report["index_path"].startswith("qdrant+local:") and index_report["embedded"] > 0
    assert answer["answered"] and "Agnes Pollard" in answer["quotes"][0]["text"]
    assert citation["verdict"] == "exact" and citation["matches"][0]["doc"] == "harbour.txt"
