"""``python -m csdesk.server.demo.worker``: the generator process of ``pipeline``.

A module of its own so the pickled blocks name ``csdesk.server.demo.pipeline.Prepared``, not
``__main__.Prepared``, and unpickle in the seeding process.
"""

from csdesk.server.demo.pipeline import worker_main

if __name__ == "__main__":
    worker_main()
