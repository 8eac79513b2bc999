"""Code that runs inside a region only. Never imports event_review.central.

The regional stack (data fetch API, update API, forwarder) lives here; the
import-linter contracts in pyproject.toml keep the boundary.
"""
