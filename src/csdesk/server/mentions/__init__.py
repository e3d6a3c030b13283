"""@mentions of teammates in internal notes on the server (issue 14, docs/mentions.md)."""
