"""Phase 1: where payloads come from.

`providers` speak each provider's real protocol (which requests make a partition),
`scrapers` assign one to each source, `fetcher` makes the requests politely with
retries, keys, rate limits and the quota reserve and keeps every body in the
`objectstore`; `sim` is the deterministic simulated league, `api` serves it (or the
`replay` of real files) on the providers' own paths with bodies rendered by `wire`;
`importer` files captured responses as if they had been fetched; `registry` and
`provider_settings` tie them to the catalog and the home's settings.
"""
