"""`make bench`: the registry at network scale, each figure beside its target and, where
PostgreSQL can do the same work itself, beside PostgreSQL's own time (`COPY`) measured in
the same run. See README "Performance" for the latest figures and how to reproduce them.

A measurement is a function of `harness.Bench` that records `Figure`s; `run` builds (or
reuses) the benchmark database and calls each measurement in turn.
"""
