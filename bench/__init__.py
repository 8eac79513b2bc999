"""Benchmarks of the Event Review Platform against raw-SQL baselines of the same work.

Run with ``.venv/bin/python -m bench --scale small`` (CI-sized) or ``--scale full``;
see docs/benchmarks.md.
"""
