import asyncio
import itertools

from bot.adapters.slack.retry import MAX_WAIT, retry_after_seconds
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


def test_retry_after_parsing():
    assert retry_after_seconds({"Retry-After": ["30"]}) == 30
    assert retry_after_seconds({"retry-after": "2"}) == 2
    assert retry_after_seconds({"Retry-After": ["soon"]}) == 1.0
    assert retry_after_seconds({}) == 1.0
    assert retry_after_seconds({"Retry-After": ["-5"]}) == 0
    assert retry_after_seconds({"Retry-After": ["99999"]}) == MAX_WAIT
