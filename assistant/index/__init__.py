"""The stores behind one `Index`: catalog, vectors, keywords, scope, recovery.

Owns how articles, chunks and vectors are kept and found again:
    store.py          Index: the one object the rest of the package talks to; the order in
                      which a write touches the stores
    backend.py        the storage seam: catalog, keyword search, writer coordination
    embedded.py       its default: SQLite and Tantivy in the index folder
    postgres.py       the other: PostgreSQL (psycopg 3), for many machines and writers
    bm25_sql.py       its keyword search: BM25 in SQL, the exact top n, pruned
    connection.py     the connection the catalog's SQL runs on, in either database
    catalog.py        the catalog (the source of truth): schema and reads
    catalog_write.py  changes to the catalog, one transaction per write
    sentence_codec.py how a sentence vector is kept: int8, a scale per vector
    vector_store.py   chunk vectors in Chroma (the only chromadb import)
    keywords.py       BM25 over title and text in Tantivy (the only tantivy import)
    scope.py          date and outlet filters, pushed into every store
    recovery.py       the writer lock, the pending flag, crash points for tests
Not here: what to ingest (ingest/) or how to rank what is found (retrieval/).
"""

from .backend import Backend
from .catalog import CATALOG_FILE, FileRecord, IndexStats, SentenceVectors, Span, StoredChunk
from .embedded import EmbeddedBackend
from .keywords import KEYWORD_DIR, MIN_KEYWORD_SCORE, KeywordDoc, KeywordIndex
from .recovery import crash_point
from .scope import Scope
from .store import Index
from .vector_store import COLLECTION

__all__ = [
    "CATALOG_FILE",
    "COLLECTION",
    "KEYWORD_DIR",
    "MIN_KEYWORD_SCORE",
    "Backend",
    "EmbeddedBackend",
    "FileRecord",
    "Index",
    "IndexStats",
    "KeywordDoc",
    "KeywordIndex",
    "Scope",
    "SentenceVectors",
    "Span",
    "StoredChunk",
    "crash_point",
]
