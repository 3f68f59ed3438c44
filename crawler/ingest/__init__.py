"""The ingest room: a fetched page becomes a stored document.

Records (`records`) and what can happen to a page (`outcomes`); decoding,
extraction and cleaning (`decode`, `extract`, `boilerplate`); URL identity
(`urls`); dedup (`dedup`, `reindex`); what the fetch history answers without
extraction (`fetches`); and the one entry point (`ingest`). Imports only
`storage` and itself; nothing here knows how a page was fetched.
"""
