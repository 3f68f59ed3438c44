"""The crawl room: runs crawls and hands every fetched page to the ingest room.

The sources file, discovery and the spider, the Scrapy settings and
components (one a module, as Scrapy's own), the extraction processes, the
crawl process, and the ad-hoc fetch of single URLs. Imports `crawler.ingest`
and `storage`, never `flows`.
"""
