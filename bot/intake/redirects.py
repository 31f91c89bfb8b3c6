"""A redirect chain as the fetcher follows it: where it leads, where it says the resource moved for good, and no
step down from https to http for a feed written as https.

The addresses each hop reaches are checked by the fetcher (bot.intake.fetch); this is only what the chain says.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from bot.intake.addresses import without_credentials
from bot.intake.decoding import Refused

REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT = frozenset({301, 308})


class RedirectChain:
    """`url` is the hop to request next; `moved_to` the URL after the permanent (301/308) redirects the chain starts
    with (None when the first answer is no permanent redirect).

    With `refuse_downgrade`, a chain that starts at an https URL may not lead to an http one: the feed was written
    as https, and what comes back over plain http anyone on the way can change. A feed written as http may go
    anywhere http(s)."""

    def __init__(self, url: str, *, refuse_downgrade: bool):
        self.url = url
        self.moved_to: str | None = None
        self._secure = refuse_downgrade and urlsplit(url).scheme.lower() == "https"
        self._permanent = True  # every hop so far was permanent

    def follow(self, status: int, location: str) -> str:
        """The next hop after a `status` redirect to `location` (relative or absolute). Raises Refused for a
        downgrade, naming the redirect."""
        target = urljoin(self.url, location)
        if self._secure and urlsplit(target).scheme.lower() == "http":
            raise Refused(f"refused the redirect (HTTP {status}) from {without_credentials(self.url)} to "
                          f"{without_credentials(target)}: https downgraded to http (write the feed's url as "
                          "http:// in the feeds file to accept that)")
        self._permanent = self._permanent and status in PERMANENT
        if self._permanent:
            self.moved_to = target
        self.url = target
        return target
