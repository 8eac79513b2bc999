"""Process plumbing shared by every target: PostgreSQL location and logging."""
