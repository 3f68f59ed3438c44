"""The ingest room: a fetched page becomes a stored document.

Records (`records`), decoding, extraction and cleaning (`decode`, `extract`,
`boilerplate`), URL identity (`urls`), dedup (`dedup`, `reindex`) and the
one entry point (`ingest`).
Imports only `storage` and itself; nothing here knows how a page was fetched.
"""
