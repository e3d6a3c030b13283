"""Scheduled send and follow-up reminders (issue 14, docs/scheduled-send.md): the push
mutations (``mutations``) and the round that sends and reminds on time (``due``)."""
