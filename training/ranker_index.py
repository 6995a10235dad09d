"""The SQuAD bench index the ranker is fitted on: the cached full one, or a small one for the tiny run."""

from __future__ import annotations

from pathlib import Path

from bench.public_data import cache_root, data_root, ensure_index, squad_index, squad_paragraphs, write_squad_docs
from training.data import SquadData


def index_for(data: SquadData, tiny: bool) -> Path:
    """bench_squad's index of every dev-v1.1 paragraph (built once, cached outside the repository); for the tiny
    run, an index of only the paragraphs ``data`` holds (a few articles: seconds to build)."""
    if not tiny:
        return squad_index()[1]
    folder = cache_root() / "squad-tiny"
    subset = [p for p in squad_paragraphs(data_root()) if p.pid in data.paragraphs]
    write_squad_docs(subset, folder / "docs")
    ensure_index(folder / "docs", folder / "index")
    return folder / "index"
