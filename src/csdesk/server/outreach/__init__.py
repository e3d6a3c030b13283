"""Proactive outreach and conversations the desk starts: the delay detector, the outreach list's
mutations, and ``conversation.start`` (see docs/outreach.md)."""
