"""One module per scenario; each returns its figures."""
