"""wirecrawl crawler, in two rooms: `crawler.ingest` turns a fetched page
into a stored document (decode, extract, clean, dedup, store), and
`crawler.crawl` runs crawls (Scrapy spider and components, the extraction
processes, the ad-hoc fetch) and hands every page to it."""
