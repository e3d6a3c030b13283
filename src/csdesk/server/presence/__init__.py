"""Collision notice: which agents have a conversation open and who is typing a reply."""
