"""Who is this paper? arXiv ids, canonical URLs, normalised titles, dedupe keys (the list's own index of them:
list_index.py).

The same work reaches the bot in many spellings: ``arXiv:2301.05062v2``, ``http://arxiv.org/pdf/2301.05062v1.pdf``,
``https://arxiv.org/abs//2309.15025`` (the seed list has that one), a LessWrong crosspost that links to the
preprint, a title with TeX in it. Everything here reduces those spellings to keys that compare equal.
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.catalogue.text import fold, strip_control
from bot.intake.sites import SITES
from bot.intake.tex import clean_tex

__all__ = ["GREEK", "arxiv_abs_url", "arxiv_id", "arxiv_ids_in", "arxiv_pdf_url",
           "bounded_key", "canonical_url", "clean_tex", "collapse_whitespace", "normalise_title", "paper_keys",
           "title_key", "url_key"]


class Identified(Protocol):
    """What a paper's keys are made of: a parsed Paper, or one the store holds (an approval checks it against the
    list as the poll did)."""

    @property
    def canonical_id(self) -> str: ...
    @property
    def arxiv_id(self) -> str | None: ...
    @property
    def title(self) -> str: ...
    @property
    def abs_url(self) -> str: ...
    @property
    def pdf_url(self) -> str: ...
    @property
    def links(self) -> tuple[tuple[str, str], ...]: ...

# --------------------------------------------------------------------------- arXiv identifiers

# New-style ids (April 2007 on): YYMM.NNNN, five digits after 1501. Old-style: archive(.SUBJECT)/YYMMNNN, the archive
# at most 16 letters (the longest real one has 8; ids are stored in 40 characters, and a 60-letter one failed a feed).
_NEW_ID = r"(?P<new>\d{2}(?:0[1-9]|1[0-2])\.\d{4,5})"
_OLD_ID = r"(?P<old>[a-z][a-z-]{0,15}(?:\.[A-Za-z]{2})?/\d{2}(?:0[1-9]|1[0-2])\d{3})"
_ID = rf"(?:{_NEW_ID}|{_OLD_ID})(?:v(?P<version>\d+))?"

# An arXiv URL (any mirror or subdomain; abs, pdf, html, format pages; doubled slashes as in "abs//2309.15025"),
# arXiv's DOI, or a literal "arXiv:" / "oai:arXiv.org:" prefix.
_IN_URL = re.compile(
    rf"(?:^|[^a-z0-9.-])(?:[a-z0-9-]+\.)*arxiv\.org/+(?:abs|pdf|html|format|ps)/+{_ID}(?![\d])", re.IGNORECASE
)
_IN_DOI = re.compile(rf"10\.48550/arxiv\.{_ID}(?![\d])", re.IGNORECASE)
_PREFIXED = re.compile(rf"(?:oai:)?arxiv(?:\.org)?:\s*{_ID}(?![\d])", re.IGNORECASE)
_BARE = re.compile(rf"^\s*{_ID}\s*$")


def _from_match(match: re.Match[str]) -> tuple[str, int | None]:
    ident = match.group("new") or match.group("old")
    version = match.group("version")
    return ident, int(version) if version else None


def arxiv_id(text_or_url: str) -> tuple[str, int | None] | None:
    """The arXiv id (without version) and version named by a URL, a DOI, an ``arXiv:`` reference or a bare id."""
    for pattern in (_IN_URL, _IN_DOI, _PREFIXED, _BARE):
        match = pattern.search(text_or_url)
        if match:
            return _from_match(match)
    return None


def arxiv_ids_in(text: str) -> list[tuple[str, int | None]]:
    """Every distinct arXiv id linked or cited in a body of text or HTML, in order of first appearance."""
    found: dict[str, int | None] = {}
    hits = [m for pattern in (_IN_URL, _IN_DOI, _PREFIXED) for m in pattern.finditer(text)]
    for match in sorted(hits, key=lambda m: m.start()):
        ident, version = _from_match(match)
        if ident not in found:
            found[ident] = version
    return list(found.items())


def arxiv_abs_url(ident: str) -> str:
    return f"https://arxiv.org/abs/{ident}"


def arxiv_pdf_url(ident: str) -> str:
    return f"https://arxiv.org/pdf/{ident}"


# --------------------------------------------------------------------------- URLs

_FORUM_POST = re.compile(r"^/posts/([A-Za-z0-9]+)(?:/|$)")
_TRACKING_PARAMS = {"fbclid", "gclid", "ref", "ref_src", "source"}


def canonical_url(url: str) -> str:
    """One spelling per resource: https, lower-case host without ``www.``, no fragment, no tracking parameters.

    arXiv URLs become ``https://arxiv.org/abs/<id>``. LessWrong / Alignment Forum posts become
    ``https://lesswrong.com/posts/<id>``: both sites serve the same post under the same id, and slugs change
    when a title is edited.
    """
    url = url.strip()
    ident = arxiv_id(url) if "arxiv" in url.lower() else None
    if ident is not None:
        return arxiv_abs_url(ident[0])
    parts = urlsplit(url if "//" in url else f"//{url}")
    host = (parts.hostname or "").lower().rstrip(".")
    host = host.removeprefix("www.")
    try:
        port = parts.port if parts.port not in (None, 80, 443) else None
    except ValueError:  # "host:notaport": keep the host, drop the nonsense
        port = None
    netloc = f"{host}:{port}" if port else host
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    if (known := SITES.get(host)) and known.lesswrong_posts and (post := _FORUM_POST.match(path)):
        return f"https://lesswrong.com/posts/{post.group(1)}"
    if host == "openreview.net" and path == "/pdf":
        path = "/forum"  # the PDF and the forum page of a submission share its id
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in _TRACKING_PARAMS
    ]
    return urlunsplit(("https", netloc, path, urlencode(query), ""))


# --------------------------------------------------------------------------- TeX and titles

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
# pylatexenc writes \epsilon and \phi as the lunate forms ϵ and ϕ: spelled out like the others.
_LETTER_NAMES = {char: name.lower() for name, char in GREEK.items()} | {"ϵ": "epsilon", "ϕ": "phi", "ϑ": "theta"}


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


_NON_WORD = re.compile(r"[^a-z0-9]+")


@functools.lru_cache(maxsize=8192)
def normalise_title(title: str) -> str:
    """The form titles are matched in: TeX cleaned, Greek letters spelled out, case, accents and punctuation folded,
    and zero-width and bidi characters gone (a zero-width space makes neither another title nor two words)."""
    cleaned = clean_tex(strip_control(title))
    if cleaned.isascii():
        # No Greek letter to spell out and nothing for Unicode to decompose: `fold` minus its NFKD step.
        return " ".join(_NON_WORD.split(cleaned.lower())).strip()
    spelled = "".join(f" {_LETTER_NAMES[c]} " if c in _LETTER_NAMES else c for c in cleaned)
    return fold(spelled)


# A title key only for titles specific enough to name one work: "Introduction" or "Open Thread" would merge
# unrelated items.
_MIN_TITLE_WORDS = 3
_MIN_TITLE_CHARS = 15


def title_key(title: str) -> str | None:
    normalised = normalise_title(title)
    return bounded_key(f"title:{normalised}") if specific_title(normalised) else None


# The store's key and canonical-id columns hold 300 characters; a longer key is stood for by its digest.
MAX_KEY_CHARS = 300


def bounded_key(key: str) -> str:
    """`key` itself, or ``<kind>-sha256:<digest>`` when it is longer than a key may be (one spelling either way)."""
    if len(key) <= MAX_KEY_CHARS:
        return key
    kind = key.split(":", 1)[0]
    return f"{kind}-sha256:{hashlib.sha256(key.encode('utf-8')).hexdigest()}"


def url_key(url: str) -> str:
    """The dedupe key (and canonical id) of a non-arXiv URL."""
    return bounded_key(f"url:{canonical_url(url)}")


def url_keys(url: str) -> frozenset[str]:
    # Not cached: a poll asks once for each of its papers' links (4,000 asks and no repeat in a 2,000-entry poll),
    # and a cache held a set for each until the poll was over, at its memory peak.
    ident = arxiv_id(url) if "arxiv" in url.lower() else None
    if ident is not None:
        return frozenset((f"arxiv:{ident[0]}",))
    if not url.strip():
        return frozenset()
    return frozenset((url_key(url),))


def paper_keys(paper: Identified) -> frozenset[str]:
    """Every key under which this paper could already be known: arXiv id, canonical URLs, normalised title."""
    keys: set[str] = set()
    if paper.arxiv_id:
        keys.add(f"arxiv:{paper.arxiv_id}")
    if paper.canonical_id.startswith("arxiv:"):
        keys.add(paper.canonical_id)
    elif paper.canonical_id.startswith("url:"):
        keys |= url_keys(paper.canonical_id.removeprefix("url:"))
    # The links repeat the abs and pdf URLs: each distinct URL is read once.
    for url in dict.fromkeys((paper.abs_url, paper.pdf_url, *(link_url for _, link_url in paper.links))):
        if url:
            keys |= url_keys(url)
    if (key := title_key(paper.title)) is not None:
        keys.add(key)
    return frozenset(keys)


def specific_title(normalised: str) -> bool:
    """Does this normalised title name one work (see `title_key`)?"""
    return len(normalised) >= _MIN_TITLE_CHARS and len(normalised.split()) >= _MIN_TITLE_WORDS


def clear_caches() -> None:
    """Forget the titles normalised so far (after a poll: the next one brings new papers)."""
    normalise_title.cache_clear()
