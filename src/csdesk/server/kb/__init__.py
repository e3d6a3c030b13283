"""The knowledge base on the server (docs/knowledge-base.md).

``mutations``: supervisors' and administrators' edits (push mutations); ``search``: ranked
full-text search, SQLite FTS5 or PostgreSQL's text search; ``render``: Markdown to safe HTML;
``routes``: ``GET /api/v1/kb/search`` for staff; ``pages``: the public articles as HTML pages
at ``/kb``.
"""
