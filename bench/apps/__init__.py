"""One ASGI app per peer, all serving the same workload (see `workload`)."""
