"""A small news web written by the wirecrawl authors: sites with their own
templates, original articles, and syndicated copies of them. Used by the
offline demo, the tests and the benchmarks."""
