"""The change feed: commit-ordered sequence numbers and long-poll wake-ups."""
