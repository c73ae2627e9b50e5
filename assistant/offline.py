"""Keep every library we use offline and silent before it is imported.

Chroma and Gradio send usage telemetry by default, onnxruntime sends its own (to
mobile.events.data.microsoft.com, from native code, as it runs a model), and Hugging
Face libraries look for model updates on the hub. We set their switches once, before the
first import of any of them; `setdefault` leaves a user's explicit choice alone.
tests/test_offline.py traces ingest, ask and serve for any connection beyond loopback.
"""

from __future__ import annotations

import os

_SWITCHES = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ORT_DISABLE_TELEMETRY": "1",  # onnxruntime reads it natively, as its runtime starts
    "TOKENIZERS_PARALLELISM": "false",
}


def go_offline() -> None:
    """Set the offline and no-telemetry switches (idempotent)."""
    for key, value in _SWITCHES.items():
        os.environ.setdefault(key, value)
