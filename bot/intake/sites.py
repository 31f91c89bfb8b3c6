"""The sites the list draws on, in one table: what a link to each is called, and which share LessWrong's posts.

Used when a feed item's links are labelled, when an approved paper's entry is written, and when URLs are reduced
to one canonical spelling (LessWrong, the Alignment Forum and GreaterWrong serve the same post under one id).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Site:
    label: str  # how a link to the site is labelled in posts and in the list
    lesswrong_posts: bool = False  # serves LessWrong's posts under their LessWrong ids


SITES: dict[str, Site] = {
    "lesswrong.com": Site("LessWrong", lesswrong_posts=True),
    "greaterwrong.com": Site("LessWrong", lesswrong_posts=True),
    "alignmentforum.org": Site("Alignment Forum", lesswrong_posts=True),
    "alignment-forum.greaterwrong.com": Site("Alignment Forum", lesswrong_posts=True),
    "forum.effectivealtruism.org": Site("EA Forum"),  # the same software, but its own posts and ids
    "transformer-circuits.pub": Site("Transformer Circuits Thread"),
    "openreview.net": Site("openreview"),
    "github.com": Site("github"),
}

# Labels a feed gives links that say nothing about where they point.
_GENERIC_LABELS = frozenset({"", "abs", "link"})


def host_of(url: str) -> str:
    """The URL's host, lower-case, without `www.` ("" when there is none or the URL is malformed)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.lower().rstrip(".").removeprefix("www.")


def site_label(url: str, fallback: str = "") -> str:
    """What to call a link: the site's name if we know it, else the feed's own label, else the host."""
    known = SITES.get(host_of(url))
    if known is not None:
        return known.label
    if fallback not in _GENERIC_LABELS:
        return fallback
    return host_of(url) or "link"
