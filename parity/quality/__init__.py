"""The quality gate: Great Expectations suites (expectations/*.json) run on a delivery's canonical
tables before anything is written, and the cross-quarter comparisons they need."""
