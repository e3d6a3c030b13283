"""Attachment files: stored once by content, served to agents who may read the message."""
