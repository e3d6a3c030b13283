"""Side conversations: forwarding by email to an outside address (docs/side-conversations.md)."""
