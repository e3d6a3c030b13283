"""Channel integration tests: provider payloads, signatures and the email corpus."""
