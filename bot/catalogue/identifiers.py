"""The identifiers a link or a reader's query carries, reduced to keys that compare equal.

A reader asks for a listed paper by any spelling of any of its links: `2303.08112`, `arXiv:2312.06681v2`,
`https://arxiv.org/pdf/2312.06681v1.pdf`, the OpenReview id `NpsVSN6o4ul`, the DOI `10.1145/3639372`, the ACL
Anthology id `2023.emnlp-main.751`, or the URL of its GitHub repository. Each becomes a key such as
`("arxiv", "2312.06681")`; an entry's keys come from its links and DOI. Matching is exact on keys, so a word that
merely looks like an id cannot find the wrong paper.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from bot.intake.sites import SITES  # the sites table (standard library only): which sites share LessWrong's posts

if TYPE_CHECKING:
    from bot.catalogue.model import Entry

Key = tuple[str, str]

# New-style arXiv ids (YYMM.NNNNN) and old-style ones (archive/YYMMNNN), each with an optional version.
_ARXIV_ID = r"(?P<arxiv>\d{2}(?:0[1-9]|1[0-2])\.\d{4,5}|[a-z][a-z-]*(?:\.[a-z]{2})?/\d{7})(?:v\d+)?"
# ...in an arXiv URL (abs, pdf, html; doubled slashes as in the list's "abs//2309.15025"), in the URL of a page
# that is one arXiv paper's on a site readers paste from (Hugging Face papers, alphaXiv, Semantic Scholar's arXiv
# route), in arXiv's DOI, or after an "arXiv:" prefix. A bare id is matched separately, as the whole query.
_ARXIV_IN_TEXT = re.compile(
    r"(?:arxiv\.org/+(?:abs|pdf|html|format)/+|ar5iv\.org/+(?:abs|html)/+|(?:huggingface\.co/papers|alphaxiv\.org/(?:abs|overview|pdf)"
    rf"|semanticscholar\.org/arxiv)/+|10\.48550/arxiv\.|arxiv:\s*){_ARXIV_ID}(?!\d)", re.IGNORECASE)
# "arXiv: 2202.05262", "arXiv 2202.05262" and "doi: 10.x/y", as people write references: one token once the
# space is gone.
_PREFIX_SPACE = re.compile(r"^(arxiv|doi)\s*(?::\s*|\s+)(?=\S)", re.IGNORECASE)
# What arXiv prints after an id: "Cite as: arXiv:2303.08112 [cs.LG]" on the abstract page, and
# "arXiv:2303.08112v2 [cs.LG] 26 Nov 2023" down the margin of the PDF: the category and date are no part of it.
_ARXIV_STAMP = re.compile(r"^((?:arxiv\s*:?\s*)?\S+)\s*\[[a-z-]+(?:\.[a-z-]+)?\](?:\s+\d{1,2}\s+[a-z]{3}\s+\d{4})?$",
                          re.IGNORECASE)
# What a reference pasted from running text brings along: "(2303.08112)", "[arXiv:2303.08112]", "2303.08112."
_WRAPPERS = ("()", "[]", "{}", '""', "''", "\u201c\u201d", "\u2018\u2019", "``")
_ARXIV_BARE = re.compile(rf"{_ARXIV_ID}(?:\.pdf)?", re.IGNORECASE)
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)
# aclweb.org/anthology/ID is the Anthology's old address, still in older papers' references
_ACL_PATH = re.compile(r"^/(?:anthology/)?(?P<id>\d{4}\.[a-z0-9-]+\.\d+|[A-Z]\d{2}-\d{4})(?:\.pdf)?/?$", re.IGNORECASE)
_ACL_BARE = re.compile(r"\d{4}\.[a-z0-9-]+\.\d+|[A-Z]\d{2}-\d{4}", re.IGNORECASE)
_ACL_DOI = re.compile(r"10\.18653/v1/(\d{4}\.[a-z0-9-]+\.\d+|[a-z]\d{2}-\d{4})")  # lower-cased already
# OpenReview note ids are short runs of letters, digits, '-' and '_': only ever looked up as a whole query.
_OPENREVIEW_BARE = re.compile(r"[A-Za-z0-9_-]{8,14}")
_URL = re.compile(r"^(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:[/?#]\S*)?$", re.IGNORECASE)
_SCHEME_AND_WWW = re.compile(r"^(?:https?://)?(?:www\.)?", re.IGNORECASE)
_ENDS_IN_TLD = re.compile(r"\.[a-z]{2,}$", re.IGNORECASE)
# A repository's page however it is pasted: "github.com/o/r", ".../r.git" (its clone URL), ".../r/tree/main".
_GITHUB_REPO = re.compile(r"^/+([A-Za-z0-9_.-]+)/+([A-Za-z0-9_.-]+?)(?:\.git)?(?:/+tree/+[^/]+)?/*$")
# Query parameters that say who shared a link or in what language it is shown, not what it is.
_NOT_WHAT = re.compile(r"^(?:utm_[a-z]+|hl)$", re.IGNORECASE)
_FORUM_POST = re.compile(r"^/+posts/+([A-Za-z0-9]{8,})(?:/|$)")
# One video, one id, however YouTube spells its link: watch?v=ID (with &t=, on m. or music.), youtu.be/ID (its share
# button), /embed/ID, /shorts/ID, /live/ID.
_YOUTUBE_HOSTS = frozenset({"youtube.com", "m.youtube.com", "music.youtube.com", "youtube-nocookie.com"})
_YOUTUBE_PATH = re.compile(r"^/+(?:embed|shorts|live|v)/+([A-Za-z0-9_-]{11})(?:[/?#]|$)")
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
# One NeurIPS paper, one hash: its abstract page and its PDF, on proceedings.neurips.cc and papers.nips.cc.
_NEURIPS_HOSTS = frozenset({"proceedings.neurips.cc", "papers.neurips.cc", "papers.nips.cc"})
_NEURIPS_PATH = re.compile(r"^/+paper(?:_files/+paper)?/+\d{4}/+(?:hash|file)/+([0-9a-f]{32})-", re.IGNORECASE)


def arxiv_id(text: str) -> str | None:
    """The arXiv id (without version) a URL, DOI or `arXiv:` reference names, or a bare id; else None."""
    text = text.strip()
    match = _ARXIV_IN_TEXT.search(text) or _ARXIV_BARE.fullmatch(text)
    return match.group("arxiv").lower() if match else None


def link_keys(url: str) -> set[Key]:
    """Every key a link of the list stands for."""
    keys: set[Key] = set()
    ident = arxiv_id(url)
    if ident:
        keys.add(("arxiv", ident))
    doi = _DOI.search(url)
    if doi:
        keys |= doi_keys(doi.group(1))
    try:
        parts = urlsplit(url.strip() if "//" in url else f"//{url.strip()}")
    except ValueError:
        return keys
    host = (parts.hostname or "").lower().removeprefix("www.")
    site = SITES.get(host)
    if site is not None and site.lesswrong_posts and (post := _FORUM_POST.match(parts.path)):
        keys.add(("lesswrong", post.group(1)))  # LessWrong, the Alignment Forum, GreaterWrong: one post, one id
    if host == "openreview.net":
        for note in parse_qs(parts.query).get("id", []):
            keys.add(("openreview", note))
    elif host in ("aclanthology.org", "aclweb.org") and (acl := _ACL_PATH.match(parts.path)):
        keys.add(("acl", acl.group("id").lower()))
    elif host in _YOUTUBE_HOSTS or host == "youtu.be":
        videos = [parts.path.strip("/")] if host == "youtu.be" else parse_qs(parts.query).get("v", [])
        if host != "youtu.be" and (embedded := _YOUTUBE_PATH.match(parts.path)):
            videos.append(embedded.group(1))
        keys.update(("youtube", video) for video in videos if _YOUTUBE_ID.fullmatch(video))
    elif host in _NEURIPS_HOSTS and (paper := _NEURIPS_PATH.match(parts.path)):
        keys.add(("neurips", paper.group(1).lower()))
    elif host == "github.com" and (repo := _GITHUB_REPO.match(parts.path)):
        keys.add(("github", f"{repo.group(1)}/{repo.group(2)}".lower()))
    path = re.sub(r"/{2,}", "/", parts.path).removesuffix("/index.html").rstrip("/")
    query = "&".join(pair for pair in parts.query.split("&") if not _NOT_WHAT.match(pair.partition("=")[0]))
    if host:
        keys.add(("url", f"{host}{path}{'?' + query if query else ''}".lower()))
    return keys


def entry_keys(entry: Entry) -> set[Key]:
    """Every key an entry of the list stands for: its links', its DOI's and its `arxiv` id's."""
    keys = doi_keys(entry.doi) if entry.doi else set()
    if entry.arxiv:
        keys.add(("arxiv", entry.arxiv))
    for link in entry.links:
        keys |= link_keys(link.url)
    return keys


def doi_keys(doi: str) -> set[Key]:
    doi = doi.strip().rstrip(".").lower()
    keys: set[Key] = {("doi", doi)}
    ident = arxiv_id(doi)
    if ident:
        keys.add(("arxiv", ident))
    # The ACL Anthology's DOIs are its ids under 10.18653/v1/: the DOI a paper prints names the page the list links.
    acl = _ACL_DOI.fullmatch(doi.removesuffix("/"))
    if acl:
        keys.add(("acl", acl.group(1)))
    return keys


def one_token(query: str) -> str:
    """The query as one token: "<url>", "(id)" or "[id]" unwrapped, a sentence's full stop or comma dropped,
    "arXiv: 2202.05262", "arXiv 2202.05262" or "doi: 10.x/y" without the space, and an arXiv id without the
    category and date arXiv prints after it ("arXiv:2202.05262v5 [cs.CL] 13 Jan 2023")."""
    query = query.strip().strip("<>")
    while True:
        unwrapped = query.rstrip(".,;").strip()
        if len(unwrapped) >= 2 and unwrapped[0] + unwrapped[-1] in _WRAPPERS:
            unwrapped = unwrapped[1:-1].strip().strip("<>")
        if (stamp := _ARXIV_STAMP.match(unwrapped)) and arxiv_id(_PREFIX_SPACE.sub(r"\1:", stamp.group(1))):
            unwrapped = stamp.group(1)
        if unwrapped == query:
            return _PREFIX_SPACE.sub(r"\1:", query)
        query = unwrapped


def names_a_link(query: str) -> bool:
    """Is the query plainly a link or an id (a URL, a DOI, an arXiv or ACL Anthology id), not words? A bare
    OpenReview id is left out: it cannot be told from a long word."""
    query = one_token(query)
    if not query or " " in query:
        return False
    if arxiv_id(query) or _DOI.match(query.removeprefix("doi:")) or _ACL_BARE.fullmatch(query):
        return True
    # "openreview.net/forum?id=x" has a host; "gpt-3.5", "llama2.0" and "RLHF/DPO" do not: a host ends in letters
    host = _SCHEME_AND_WWW.sub("", query).split("/", 1)[0].split("?", 1)[0]
    return bool(_URL.match(query) and _ENDS_IN_TLD.search(host))


def query_keys(query: str) -> set[Key]:
    """The keys a reader's query may stand for: a link in any spelling, or a bare id of any kind."""
    query = one_token(query)
    if not query or " " in query:
        return set()
    keys: set[Key] = set()
    if _URL.match(query) or "/" in query or ":" in query:
        keys |= link_keys(query)
    if (bare := arxiv_id(query)) is not None:
        keys.add(("arxiv", bare))
    if _ACL_BARE.fullmatch(query):
        keys.add(("acl", query.lower()))
    if _OPENREVIEW_BARE.fullmatch(query):
        keys.add(("openreview", query))
    return keys
