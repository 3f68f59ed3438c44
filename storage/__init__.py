"""wirecrawl storage: the schema, the document store, the LSH band index, the
raw-page archive and the snapshot writers. Imports nothing else of wirecrawl."""

from storage.records import Document, FetchRecord
from storage.store import Store

__all__ = ["Document", "FetchRecord", "Store"]
