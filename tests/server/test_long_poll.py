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


async def _parked(notifier: Notifier, cursor: int, count: int) -> list[asyncio.Task[bool]]:
    waiting = [asyncio.ensure_future(notifier.wait_past(cursor, 60)) for _ in range(count)]
    await asyncio.sleep(0)
    return waiting


async def _turns(count: int) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


def test_a_held_commit_wakes_nobody_until_its_hold_is_released() -> None:
    async def run() -> None:
        notifier = Notifier()
        notifier.bind(asyncio.get_running_loop(), 10)
        waiting = await _parked(notifier, 10, 3 * RELEASE_SLICE)
        hold = notifier.hold()

        def commit(seq: int) -> None:  # what feed.log's hooks call around a commit
            notifier.pending(seq)
            notifier.publish(seq)

        await asyncio.to_thread(hold.run, commit, 11)
        notifier.heard(11)  # PostgreSQL's NOTIFY of it, back at this process's listener
        await _turns(2 * len(waiting))
        assert notifier.waiters == len(waiting) and not any(f.done() for f in waiting)
        assert notifier.head == 10 and hold.seq == 11

        hold.release()
        assert all(await asyncio.gather(*waiting))
        assert notifier.head == 11 and notifier.waiters == 0
        hold.release()  # idempotent
        assert notifier.head == 11

    asyncio.run(run())


def test_a_hold_holds_only_its_own_commits() -> None:
    async def run() -> None:
        notifier = Notifier()
        notifier.bind(asyncio.get_running_loop(), 10)
        waiting = await _parked(notifier, 10, RELEASE_SLICE)
        hold = notifier.hold()
        await asyncio.to_thread(hold.run, notifier.pending, 11)  # taken, still uncommitted
        await asyncio.to_thread(notifier.publish, 12)  # another thread's commit
        assert all(await asyncio.gather(*waiting))
        assert notifier.head == 12

        later = await _parked(notifier, 12, RELEASE_SLICE)
        notifier.heard(13)  # another process's commit
        assert all(await asyncio.gather(*later))
        hold.release()  # nothing it committed: no announcement
        assert notifier.head == 13

    asyncio.run(run())


def test_a_seq_a_held_transaction_rolled_back_is_announced_when_its_hold_ends() -> None:
    """The counter is rolled back with the transaction, so another process's commit can carry
    the same seq; its NOTIFY, skipped while held as if it were ours, is not lost."""

    async def run() -> None:
        notifier = Notifier()
        notifier.bind(asyncio.get_running_loop(), 10)
        waiting = await _parked(notifier, 10, RELEASE_SLICE)
        hold = notifier.hold()
        await asyncio.to_thread(hold.run, notifier.pending, 11)  # then rolled back
        notifier.heard(11)  # another process committed seq 11
        await _turns(4)
        assert not any(f.done() for f in waiting)
        hold.release()
        assert all(await asyncio.gather(*waiting))
        assert notifier.head == 11

    asyncio.run(run())


def test_a_commit_after_its_hold_was_released_is_announced_at_once() -> None:
    """A request cancelled while its thread still works releases its hold early: what that
    thread commits afterwards must not stay held."""

    async def run() -> None:
        notifier = Notifier()
        notifier.bind(asyncio.get_running_loop(), 10)
        waiting = await _parked(notifier, 10, RELEASE_SLICE)
        hold = notifier.hold()
        hold.release()

        def commit() -> None:
            notifier.pending(11)
            notifier.publish(11)

        await asyncio.to_thread(hold.run, commit)
        assert all(await asyncio.gather(*waiting))
        assert notifier.head == 11

    asyncio.run(run())


def test_a_hold_never_released_by_its_request_releases_itself() -> None:
    async def run() -> None:
        notifier = Notifier()
        notifier.bind(asyncio.get_running_loop(), 10)
        waiting = await _parked(notifier, 10, RELEASE_SLICE)
        hold = notifier.hold(limit=0.01)
        await asyncio.to_thread(hold.run, notifier.publish, 11)
        assert all(await asyncio.gather(*waiting))  # nobody calls release()
        assert hold.released and notifier.head == 11

    asyncio.run(run())
