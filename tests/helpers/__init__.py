"""Shared test helpers: fakes, fixtures and environment requirements used across test suites."""
