"""The csdesk sync server: FastAPI app factory, change feed, auth, sync and channels."""
