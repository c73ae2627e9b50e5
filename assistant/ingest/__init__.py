"""Article -> chunks -> vectors -> index: incremental and crash-safe.

Owns: cutting articles into chunks that fit the model's window on sentence bounds
(chunking.py) and keeping an index in step with a set of sources, embedding only what
changed (ingestor.py). Not here: reading formats (sources/) or how the stores keep
things (index/).
"""

from .chunking import Chunker, ChunkingPolicy
from .ingestor import Ingestor, IngestReport, Progress

__all__ = ["Chunker", "ChunkingPolicy", "IngestReport", "Ingestor", "Progress"]
