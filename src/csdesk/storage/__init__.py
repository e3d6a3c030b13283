"""SQLAlchemy 2.0 typed models shared by the server and the client's local cache."""
