"""Exports run in the background: a job per search, its file stored in chunks, resumable."""
