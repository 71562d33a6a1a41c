"""Benchmarks that compare ssegen with its peers in one run and print ratios."""
