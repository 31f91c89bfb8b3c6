"""Small text helpers shared by the catalogue, search, intake and chat: slugs, folding, URL checks, mojibake."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")
# C0/C1 controls (ESC starts a terminal escape, BEL rings), zero-width characters, bidi marks, overrides and
# isolates, soft hyphen and BOM: invisible, yet they garble a terminal or make one title look like another.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
# The ones among them that Python's str.split() and str.splitlines() break text at: VT, FF, CR, FS, GS, RS, US,
# NEL, and U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR (Unicode's categories Zl and Zp). Dropped, they
# glued the words either side together ("Sparse<U+2028>Autoencoders" read "SparseAutoencoders"); let through, a
# terminal, a log viewer, a chat client or git may start a new line at one. A space keeps both the words apart and
# the text on its line.
_BREAKS = frozenset("\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\u2028\u2029")


def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation-free form used for matching ("Probing-based" -> "probing based")."""
    if not text.isascii():  # most text is: decomposing it character by character would change nothing
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.split(text.lower())).strip()


MAX_QUERY_CHARS = 200  # longer queries are cut: nobody types more, and it bounds the work per request


def clean_query(query: str) -> str:
    return " ".join(query.split())[:MAX_QUERY_CHARS]


def slugify(text: str, *, max_words: int | None = None) -> str:
    words = fold(text).split()
    if max_words is not None:
        words = words[:max_words]
    return "-".join(words)


_TRAILING_WORDS = frozenset({"a", "an", "the", "of", "in", "on", "and", "for", "to", "with", "from", "via", "by", "at"})


def entry_slug(title: str, max_words: int = 8) -> str:
    """A readable id for an entry: the title's first words, not ending on 'of' or 'a'."""
    words = fold(title).split()[:max_words]
    while len(words) > 1 and words[-1] in _TRAILING_WORDS:
        words.pop()
    return "-".join(words)


def _unseen(match: re.Match[str]) -> str:
    return " " if match.group() in _BREAKS else ""


def strip_control(text: str) -> str:
    """Remove control and bidi-override characters that could garble a terminal or a chat message; a line or
    paragraph separator other than "\\n" becomes a space, which parts words as it did. "\\n" and tab stay: where
    text is one line, `flatten` it."""
    if text.isascii() and text.isprintable():  # most text: nothing to remove, known without a regex
        return text
    return _CONTROL.sub(_unseen, text)


def flatten(text: str) -> str:
    """Text from outside as one line of words: no invisible character, every run of whitespace or separators
    (newlines, U+2028, NEL, ...) one space. What a title, a query, a log line or a commit subject shows."""
    return " ".join(strip_control(text).split())


def show_control(text: str) -> str:
    """The control and invisible characters of `text` written as Python escapes (`\\x1b`, `\\u202e`), the rest
    as it is: for a message that quotes a file's content, which must show such a character, not send it."""
    if text.isascii() and text.isprintable():
        return text
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)


def one_line(text: str, limit: int = 500) -> str:
    """Text from outside as it may be logged, stored or printed: one line, no control characters, bounded."""
    flat = flatten(text)
    return flat if len(flat) <= limit else flat[: limit - 2] + " …"


def tokens(text: str) -> list[str]:
    return fold(text).split()


# scheme://[user@]host[:port][/path?query#fragment] with a dotted host and no whitespace anywhere. A regex
# rather than urlsplit: it is checked for every link of every entry at every load.
_HTTP_URL = re.compile(r"https?://(?:[^\s/?#@]+@)?[^\s/?#@:.]+(?:\.[^\s/?#@:.]+)+(?::\d+)?(?:[/?#]\S*)?", re.ASCII)


def valid_url(url: object) -> bool:
    """Is this an absolute http(s) URL with a dotted host? (What the list accepts, and what chat makes clickable.)"""
    return isinstance(url, str) and _HTTP_URL.fullmatch(url) is not None


# The longest link the list keeps: what browsers and chat platforms take whole, and what the link checker stores.
MAX_URL_CHARS = 2000


def url_problem(url: object) -> str | None:
    """Why the list cannot keep this link, or None: not an absolute http(s) URL, or longer than MAX_URL_CHARS."""
    if isinstance(url, str) and len(url) > MAX_URL_CHARS:
        return f"a URL of {len(url):,} characters ({url[:60]!r}...): at most {MAX_URL_CHARS:,}"
    if not valid_url(url):
        return f"malformed URL {url!r}: expected an absolute http(s) URL"
    return None


# A UTF-8 lead byte read as Latin-1, then continuation bytes read as Windows-1252 (which maps some
# of 0x80-0x9f to letters such as Œ and Ÿ).
_CP1252_CONTINUATION = (
    "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122"
)
_MOJIBAKE = re.compile(f"[\u00c2-\u00f4][{_CP1252_CONTINUATION}]+")
_MOJIBAKE_LEADS = frozenset(chr(c) for c in range(0xC2, 0xF5))


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 bytes that were read as Windows-1252 or Latin-1 upstream (`ðŸŒŸ` → `🌟`, `RamÃ­rez` →
    `Ramírez`), piece by piece, leaving real text (and every piece that does not decode) alone."""
    # Text without a possible lead character (all ASCII text, most other text) is returned unscanned.
    if text.isascii() or _MOJIBAKE_LEADS.isdisjoint(text):
        return text

    def fix(match: re.Match[str]) -> str:
        chunk = match.group(0)
        for codec in ("cp1252", "latin-1"):  # latin-1 covers the five bytes cp1252 leaves undefined
            try:
                return chunk.encode(codec).decode("utf-8")
            except UnicodeError:
                continue
        return chunk

    return _MOJIBAKE.sub(fix, text)
