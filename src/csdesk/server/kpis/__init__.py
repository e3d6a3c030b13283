"""Service KPIs computed by SQL aggregation on the server (definitions: docs/kpis.md)."""
