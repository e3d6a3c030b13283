"""Customers' languages: detection on ingest, translation through a provider (docs/languages.md)."""
