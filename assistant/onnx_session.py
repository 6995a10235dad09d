"""One way to open an ONNX Runtime session on the CPU, for the embedder and the reader alike.

Why spinning (measured on the 2-core machine, ORT 1.32): a reader run is ~150 small operators, and waking a
sleeping intra-op thread for each cost ~2.7 ms of the ~15 ms the 8 candidates took (12.7 ms spinning); a
64-row embedding batch took 138 ms sleeping and 118 ms spinning. The threads spin only while a run is on and
stop when it ends (``force_spinning_stop``), so no CPU burns while the app waits for the next question.

Tried and not kept: switching off the SkipLayerNormalization fusion (its kernel took ~1 ms per call on an 8 x
64 x 384 input, 8x the separate Add and LayerNormalization) saved 2 ms more a read, but the separate kernels
round differently: logits moved by up to 0.004, one natural tuning question fell under the refusal threshold
and highlight F1 dropped (0.370 -> 0.345), since the reader, its calibration and its highlight head were all
measured with the fused kernel.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnxruntime


def cpu_session(model_file: Path, threads: int | None = None) -> onnxruntime.InferenceSession:
    """A CPU session for ``model_file`` with ``threads`` intra-op threads (ONNX Runtime's default: one per
    physical core); errors only on stderr."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "1")
    options.add_session_config_entry("session.force_spinning_stop", "1")
    options.log_severity_level = 3
    return ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
