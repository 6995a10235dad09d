"""One way to open an ONNX Runtime session on the CPU, for the embedder and the reader alike.

Why spinning (measured on the 2-core machine, ORT 1.32): a reader run is ~150 small operators, and waking a
sleeping intra-op thread for each cost ~2.7 ms of the ~15 ms the 8 candidates took (12.7 ms spinning); a
64-row embedding batch took 138 ms sleeping and 118 ms spinning. The threads spin only while a run is on and
stop when it ends (``force_spinning_stop``), so no CPU burns while the app waits for the next question.

Why ``disabled_optimizers``: ONNX Runtime's SkipLayerNormalization fusion made the kernel ~8x slower than the
separate Add and LayerNormalization on an 8 x 64 x 384 reader input (~1 ms a call, 2 ms a read). The separate
kernels round differently (the reader's logits move by up to ~0.0065), so a model must be run with the fusions
it was measured and calibrated with: the reader names them in its reader.json (training/publish.py), never this
code.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnxruntime


def cpu_session(model_file: Path, threads: int | None = None,
                disabled_optimizers: Sequence[str] = ()) -> onnxruntime.InferenceSession:
    """A CPU session for ``model_file`` with ``threads`` intra-op threads (ONNX Runtime's default: one per
    physical core) and the named graph optimisers switched off; errors only on stderr."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "1")
    options.add_session_config_entry("session.force_spinning_stop", "1")
    options.log_severity_level = 3
    return ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"],
                                disabled_optimizers=list(disabled_optimizers))
