"""The live floor (issue 12): agents' statuses with their history, the supervisors' board and
their messages to an agent's desk. See docs/floor.md."""
