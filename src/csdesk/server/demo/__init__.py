"""A believable, deterministic demo store for the sync server (``csdesk-server seed-demo``).

Fernhill Outfitters sells clothes and homeware in five languages; its customers write about
their real orders over every channel. Generation (``generate``) is pure and seeded; loading
(``load``) writes it with Core bulk inserts and feeds every row to the change feed, so it
scales to a million messages and a client's first sync receives all of it.
"""

from csdesk.server.demo.load import seed_demo
from csdesk.server.demo.staff import DEMO_PASSWORD, DEMO_USERS

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "seed_demo"]
