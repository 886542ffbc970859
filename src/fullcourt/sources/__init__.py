"""Phase 1: where payloads come from.

`sim` is the deterministic simulated league, `api` serves it (or anything shaped like
it) as provider-like HTTP endpoints, `scrapers` know each provider's dialect, `fetcher`
fetches politely with retries, `objectstore` keeps every payload, and `registry` ties
them to the catalog (`SOURCES`, `scrape_specs`, `wiring`).
"""
