"""wirecrawl crawler: fetching (Scrapy spiders and the single-URL fetch),
extraction (trafilatura) and deduplication (datasketch MinHash + LSH)."""
