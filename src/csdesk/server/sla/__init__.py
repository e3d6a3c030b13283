"""Service levels on the server: the editable policy, business hours and escalation."""
