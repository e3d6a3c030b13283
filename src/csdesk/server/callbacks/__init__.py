"""Callback tasks on the server: the mutations that schedule, change, cancel and take them
(``service``) and the round that makes them due on time (``due``)."""
