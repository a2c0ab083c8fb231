"""Benchmarks that print figures and ratios: `python -m bench` (see bench/README.md)."""
