
from bot.adapters.slack.retry import MAX_WAIT, retry_after_seconds


def test_retry_after_parsing():
    assert retry_after_seconds({"Retry-After": ["30"]}) == 30
    assert retry_after_seconds({"retry-after": "2"}) == 2
    assert retry_after_seconds({"Retry-After": ["soon"]}) == 1.0
    assert retry_after_seconds({}) == 1.0
    assert retry_after_seconds({"Retry-After": ["-5"]}) == 0
    assert retry_after_seconds({"Retry-After": ["99999"]}) == MAX_WAIT
