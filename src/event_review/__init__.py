"""Event Review Platform: review edge-device events centrally, keep payloads regional."""

__version__ = "0.1.0"
