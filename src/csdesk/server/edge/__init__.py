"""What every request meets before any route: the body cap, the bad-text guard, and the
answer while the database is unreachable.  Pure ASGI, so no route can read around them."""
