"""Large builds on Ray: the "load + split + embed" steps of a build as Ray Data batches across a cluster's workers.

``assistant index --ray ADDRESS`` runs two Ray Data pipelines for the new and changed documents, each on worker
actors that load the ONNX embedder once:

1. files (biggest first, one a batch) -> read, normalise and split, exactly as the plain build (``build._prepare``);
2. the distinct texts to embed, in the very batches the plain build would make (``build._embed_new`` makes them on
   the driver: int8 vectors depend slightly on their batch) -> vectors.

Everything else is the plain build's: incremental hashes, the lock, and the write through the storage seam, so
any ``BuildStorage`` receives the same units and the same vectors.

``local`` or ``local:N`` starts a local cluster of N workers (default: every core) for the build and stops it
after; anything else is the address of a running cluster (``HOST:PORT`` or ``ray://HOST:PORT``) whose workers
have this package installed and read the documents folder at the same path (docs/SCALING.md). Offline: usage
stats off, no dashboard, no runtime environment shipped, so nothing is fetched.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from assistant.config import IndexSettings
from assistant.embedding.embedder import Embedder
from assistant.errors import IndexUnavailable
from assistant.index.build import _prepare, _Units
from assistant.ingest.documents import DocumentError, load_document
from assistant.ingest.parallel import failure_reason

INSTALL_HINT = 'the Ray build needs Ray: pip install -e ".[scale]" (or pip install "ray[data]>=2.9")'
LOCAL = "local"
AUTH_HINT = ("; a cluster with token authentication (Ray's default) needs RAY_AUTH_MODE=token and its token here "
             "(docs/SCALING.md)")
OBJECT_STORE_BYTES = 256 * 2**20  # a local cluster's shared memory: batches are a few MB at most


class RayUnavailable(IndexUnavailable):
    """Ray is not installed, the address is malformed, the cluster cannot be reached, or it failed mid-build. A
    subclass of IndexUnavailable so that every interface shows it as its one-line error (no index was written)."""


def parse_address(address: str) -> tuple[str | None, int | None]:
    """(address to connect to, None) or (None, workers of a local cluster to start); RayUnavailable if malformed."""
    address = address.strip()
    if address == LOCAL:
        return None, os.cpu_count() or 1
    if address.startswith(LOCAL + ":"):
        count = address[len(LOCAL) + 1 :]
        if not count.isdigit() or int(count) < 1:
            raise RayUnavailable(f"--ray {address}: expected local:N with N >= 1 workers")
        return None, int(count)
    if not address:
        raise RayUnavailable("--ray needs an address (HOST:PORT, ray://HOST:PORT) or local[:N]")
    return address, None


def _import_ray() -> Any:
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"  # forced: a build reports nowhere
    try:
        import ray
        import ray.data  # noqa: F401  (the extra is ray[data])
    except ImportError as exc:
        raise RayUnavailable(INSTALL_HINT) from exc
    return ray


class _Worker:
    """Base of the Ray Data actors: the embedder (ONNX int8 by default) loaded once per worker."""

    def __init__(self, settings: IndexSettings, cache_dir: str, root: str = "") -> None:
        self.settings = settings
        self.root = Path(root)
        self.embedder = Embedder(settings.model, settings.backend, cache_dir)


class _SplitWorker(_Worker):
    """Reads and splits each batch's files: (path, pickled units without vectors, or the reason it failed)."""

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        payloads = [pickle.dumps(self._one(Path(str(p)))) for p in batch["path"]]
        return {"path": batch["path"], "payload": np.array(payloads, dtype=object)}

    def _one(self, path: Path) -> _Units | str:
        try:
            return _prepare(load_document(path, self.root), self.settings, self.embedder)
        except (DocumentError, OSError) as exc:
            return failure_reason(exc)


class _EmbedWorker(_Worker):
    """Embeds each row's batch of texts as one call, as the plain build does: (batch number, pickled vectors)."""

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = [pickle.dumps(self.embedder.encode([str(t) for t in texts], batch_size=max(1, len(texts))))
                   for texts in batch["texts"]]
        return {"n": batch["n"], "vectors": np.array(vectors, dtype=object)}


class RayCluster:
    """A Ray cluster for one build (a context manager: started or joined on first use, a local one stopped on exit)."""

    def __init__(self, address: str, settings: IndexSettings, cache_dir: Path) -> None:
        self.address = address
        self.remote, self.local_workers = parse_address(address)
        self.settings = settings
        self.cache_dir = str(cache_dir)
        self._ray: Any = None
        self._started = False
        self._connected = False

    def __enter__(self) -> RayCluster:
        self._ray = _import_ray()  # Ray missing: said now, before anything is read
        return self

    def connect(self) -> None:
        """Start or join the cluster, once, when there is work for it: a build with nothing new starts nothing."""
        ray = self._ray
        if self._connected:
            return
        if not ray.is_initialized():
            quiet = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
            try:
                if self.remote is not None:
                    _check_reachable(self.remote)
            except (OSError, ValueError) as exc:
                raise RayUnavailable(f"cannot reach the Ray cluster at {self.address}: {_first_line(exc)}") from exc
            try:
                if self.remote is None:
                    ray.init(address="local", num_cpus=self.local_workers, object_store_memory=OBJECT_STORE_BYTES,
                             **quiet)  # "local": a new cluster, never one this machine already runs
                else:
                    ray.init(address=self.remote, **quiet)
            except (OSError, RuntimeError, ValueError) as exc:
                hint = AUTH_HINT if self.remote is not None else ""
                why = _first_line(exc)
                raise RayUnavailable(f"cannot join the Ray cluster at {self.address}: {why}{hint}") from exc
            self._started = True
        self._connected = True
        from ray.data import DataContext

        DataContext.get_current().enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.ERROR)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._started:
            self._ray.shutdown()
        self._started = self._connected = False

    @property
    def workers(self) -> int:
        return max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def load_split(self, paths: Sequence[Path], root: Path, settings: IndexSettings,
                   embedder: Embedder) -> dict[str, _Units | DocumentError]:
        """Each file's units (no vectors yet), or the DocumentError saying why it could not be loaded, by path
        relative to ``root``."""
        if not paths:
            return {}
        _ = embedder.dimension  # the ONNX export made once, here: local workers load it instead of each making it
        ordered = sorted(paths, key=lambda p: -_size(p))  # biggest first: the last to finish is small
        rows = self._run([{"path": str(p)} for p in ordered], _SplitWorker, (settings, self.cache_dir, str(root)))
        out: dict[str, _Units | DocumentError] = {}
        for row in rows:
            path = Path(str(row["path"]))
            result = pickle.loads(row["payload"])
            out[path.relative_to(root).as_posix()] = DocumentError(path, result) if isinstance(result, str) else result
        return out

    def encode(self, batches: list[list[str]]) -> Iterator[tuple[int, np.ndarray]]:
        """build.BatchEncoder: each batch of texts embedded whole on a worker; (batch number, vectors)."""
        rows = self._run([{"n": n, "texts": texts} for n, texts in enumerate(batches)], _EmbedWorker,
                         (self.settings, self.cache_dir, ""))
        for row in rows:
            yield int(row["n"]), pickle.loads(row["vectors"])

    def _run(self, items: list[dict[str, Any]], worker: type[_Worker],
             args: tuple[IndexSettings, str, str]) -> list[dict[str, Any]]:
        """One Ray Data pipeline: rows -> ``worker`` actors (one row a batch, one actor per CPU) -> rows."""
        self.connect()
        ray = self._ray
        dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            worker, fn_constructor_args=args, batch_size=1, concurrency=min(self.workers, len(items)), num_cpus=1,
            batch_format="numpy")
        try:
            return list(dataset.iter_rows())
        except Exception as exc:  # a worker crash or a lost node: the build stops, the previous index stays current
            raise RayUnavailable(f"the Ray build on {self.address} failed: {_first_line(exc)}") from exc


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """ConnectionError unless HOST:PORT accepts a TCP connection: Ray itself retries an unreachable head for
    minutes, printing warnings. ``auto`` (the cluster this machine belongs to) is left to Ray."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"expected HOST:PORT, got {address!r}")
    with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
        pass


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
