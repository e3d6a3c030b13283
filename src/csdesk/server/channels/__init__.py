"""Provider integrations reduced to pure functions: raw request parts in, normalized data out.

Nothing here imports FastAPI, touches the database or opens a socket, so every webhook shape and
signature rule can be tested from fixtures alone; the routes that feed these functions live
elsewhere in ``csdesk.server``.
"""
