"""Canned responses and macros on the server (issue 14, docs/macros.md)."""
