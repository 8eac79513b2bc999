"""Reviewer statistics: what was reviewed, corrected, skipped, escalated, how fast, with
which outcomes, and how often QA agreed; per reviewer, team or region."""
