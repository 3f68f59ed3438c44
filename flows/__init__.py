"""wirecrawl orchestration: Prefect flows and deployments, and the command line."""
