"""What reviewers type, kept where each region's policy says."""
