"""Code that runs in the central cluster only. Never imports event_review.regional."""
