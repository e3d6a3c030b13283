"""Merging two conversations of one customer, undoing it, and splitting a message off
(issue 14, docs/merge-split.md)."""
