"""Routing rules and automatic assignment on the server (docs/routing.md).

``engine`` evaluates the rules when a conversation arrives or wakes up (called from
``channels.ingest``, in the ingest's transaction); ``mutations`` are the supervisors' edits of
rules and agents' skills; ``routes`` the dry run.
"""
