"""The notifier that parks long-polls: futures released a slice per loop turn, timeouts."""

from __future__ import annotations

import asyncio
import itertools

from csdesk.server.feed.notifier import RELEASE_SLICE, Notifier


def test_a_publish_releases_the_waiters_it_concerns_a_slice_per_loop_turn() -> None:
    async def run() -> None:
        notifier = Notifier()
        notifier.bind(asyncio.get_running_loop(), 10)
        count = 5 * RELEASE_SLICE
        waiting = [asyncio.ensure_future(notifier.wait_past(10, 60)) for _ in range(count)]
        ahead = asyncio.ensure_future(notifier.wait_past(12, 60))  # knows of a later commit
        await asyncio.sleep(0)
        assert notifier.waiters == count + 1

        notifier.publish(11)
        assert notifier.waiters == 1  # only the one whose cursor is not passed
        released = [0]
        for _ in range(count):  # one loop turn each time
            await asyncio.sleep(0)
            released.append(sum(f.done() for f in waiting))
        assert released[-1] == count and all(f.result() for f in waiting)
        steps = [b - a for a, b in itertools.pairwise(released)]
        assert max(steps) <= RELEASE_SLICE  # never all at once
        assert not ahead.done()

        notifier.publish(13)
        assert await ahead is True
        assert notifier.waiters == 0

    asyncio.run(run())


def test_a_wait_times_out_false_and_an_old_cursor_returns_at_once() -> None:
    async def run() -> None:
        notifier = Notifier()
        notifier.bind(asyncio.get_running_loop(), 5)
        assert await notifier.wait_past(4, 60) is True
        assert await notifier.wait_past(5, 0.01) is False
        assert await notifier.wait_past(5, 0) is False
        assert notifier.waiters == 0

        cancelled = asyncio.ensure_future(notifier.wait_past(5, 60))
        await asyncio.sleep(0)
        assert notifier.waiters == 1
        cancelled.cancel()
        await asyncio.gather(cancelled, return_exceptions=True)
        assert notifier.waiters == 0  # a client that goes away leaves nothing parked

    asyncio.run(run())


def test_a_publish_from_another_thread_wakes_waiters_and_bad_timeouts_park_nothing() -> None:
    import threading

    async def run() -> None:
        notifier = Notifier()
        notifier.bind(asyncio.get_running_loop(), 3)
        assert await notifier.wait_past(3, -5) is False  # negative: no wait, nothing parked
        assert await notifier.wait_past(3, 0.0) is False
        assert notifier.waiters == 0
        waiting = [asyncio.ensure_future(notifier.wait_past(3, 60)) for _ in range(20)]
        await asyncio.sleep(0)
        assert notifier.waiters == 20
        thread = threading.Thread(target=notifier.publish, args=(4,))
        thread.start()
        thread.join()
        assert all(await asyncio.gather(*waiting))
        assert notifier.waiters == 0 and notifier.head == 4

    asyncio.run(run())
