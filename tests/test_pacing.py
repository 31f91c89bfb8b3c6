"""One turn at a time per key, with a least interval: Slack's channels (from the end of a post) and arXiv's host
(from the start of a request)."""

import asyncio
import itertools

from bot.pacing import KeyedPacer
from tests.fakes.slack_fake import FakeTime


async def test_posts_to_one_channel_are_a_second_apart_and_channels_do_not_wait_for_each_other():
    time = FakeTime()
    pacer = KeyedPacer(1.0, since="end", clock=time.clock, sleep=time.sleep)
    posted = []

    async def post(channel):
        async with pacer.turn(channel):
            posted.append((channel, time.now))

    await asyncio.gather(post("C1"), post("C1"), post("C2"), post("C1"))
    c1 = [t for c, t in posted if c == "C1"]
    assert [b - a for a, b in itertools.pairwise(c1)] == [1.0, 1.0]
    assert len(time.sleeps) == 2  # C2 never waited


async def test_since_start_spaces_the_starts_of_turns_however_long_each_takes():
    time = FakeTime()
    pacer = KeyedPacer(3.0, since="start", clock=time.clock, sleep=time.sleep)
    started = []

    async def request():
        async with pacer.turn("export.arxiv.org"):
            started.append(time.now)
            await time.sleep(2.0)  # the request itself takes two seconds

    await asyncio.gather(request(), request(), request())
    assert [b - a for a, b in itertools.pairwise(started)] == [3.0, 3.0]
