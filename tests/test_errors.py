"""How an exception reads in a log line or `status` (`bot.errors.describe`)."""

from bot.errors import AdapterError, describe


def test_an_error_without_a_message_is_named_alone():
    # A timeout showed in `status` as "TimeoutError: ", as if a reason had been cut off.
    assert describe(TimeoutError()) == "TimeoutError"


def test_other_errors_keep_their_type_and_ours_read_as_written():
    assert describe(KeyError("type")) == "KeyError: 'type'"
    assert describe(AdapterError("Slack chat.update in C1 failed: is_archived")) == (
        "Slack chat.update in C1 failed: is_archived")
