"""Readable text from the TeX that arXiv titles, abstracts and author names carry, by pylatexenc.

pylatexenc's ``LatexNodes2Text`` knows accents (``Maru\\v si\\v c`` → Marušič, ``\\.Z`` → Ż, ``{\\l}`` → ł), math
(``$\\alpha$`` → α), environments and unknown macros (their arguments kept). Three things in feed text are not
TeX as TeX reads it, and are protected before conversion:

* ``%`` is a percent sign ("100% plain"), never a comment that would swallow the rest of the line;
* a ``$`` before a digit in text with an odd number of dollars is money ("costs over $800"), not math;
* operator names written back to back (``$\\ln\\ln T$``) keep a space between them, as TeX typesets them.

pylatexenc reads a character at a time (about 15 ms for an abstract), and an abstract is mostly prose: only the
TeX in it is handed over — each math span, macro with its arguments, or brace group — and the prose between is
kept as it is. The same spans recur across papers (``$\\alpha$``, ``\\emph{...}``), so conversions are cached.
"""

from __future__ import annotations

import functools
import re

from pylatexenc.latex2text import LatexNodes2Text

_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")
_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
_MONEY = re.compile(r"(?<!\\)\$(?=\d)")
_OPERATOR_BEFORE_MACRO = re.compile(
    r"(\\(?:arg|cos|cosh|cot|deg|det|dim|exp|gcd|inf|ker|lim|liminf|limsup|ln|log|max|min|Pr|sin|sinh|sup|tan|tanh))"
    r"(?=\\[A-Za-z])"
)
_SPECIAL = re.compile(r"[\\${]")
_MACRO_NAME = re.compile(r"[A-Za-z]+\*?")
_BEGIN = re.compile(r"\\begin\s*\{([^{}]*)\}")
# Accents written with a letter macro take the next letter as their argument even after a space: \v s, \c c.
_LETTER_ACCENTS = frozenset("vuHcdbtkr")


@functools.cache
def _converter() -> LatexNodes2Text:
    return LatexNodes2Text(math_mode="text", strict_latex_spaces=False)


def clean_tex(text: str) -> str:
    """``$\\alpha$-masses`` → ``α-masses``, ``\\emph{sparse}`` → ``sparse``, ``Schr\\"odinger`` → ``Schrödinger``;
    whitespace collapsed. Text without TeX's special characters comes back as it was."""
    if "\\" not in text and "$" not in text and "{" not in text:
        return text
    if len(_UNESCAPED_DOLLAR.findall(text)) % 2:
        text = _MONEY.sub(r"\\$", text)
    parts: list[str] = []
    position = 0
    while (special := _SPECIAL.search(text, position)) is not None:
        start = special.start()
        end = _span_end(text, start)
        parts.append(text[position:start].replace("~", " "))
        parts.append(_convert(text[start:end]))
        position = end
    parts.append(text[position:].replace("~", " "))
    return " ".join("".join(parts).split())


def _span_end(text: str, start: int) -> int:
    """Where the TeX construct starting at `start` ends: math to its closing dollar, an environment to its \\end,
    a macro with its arguments, a brace group to its closing brace."""
    char = text[start]
    if char == "$":
        double = text.startswith("$$", start)
        close = _find_unescaped(text, "$$" if double else "$", start + (2 if double else 1))
        return len(text) if close < 0 else close + (2 if double else 1)
    if char == "{":
        return _group_end(text, start)
    begin = _BEGIN.match(text, start)
    if begin:
        close = text.find(f"\\end{{{begin.group(1)}}}", begin.end())
        return begin.end() if close < 0 else close + len(begin.group(1)) + 6
    name = _MACRO_NAME.match(text, start + 1)
    if name is None:  # \' \" \. \\ \& ...: one character, then an argument for the accents
        end = min(start + 2, len(text))
        if text[start + 1:end] in "'`\"^~=.":
            return _argument_end(text, end, letter=True)
        return end
    end = name.end()
    if name.group(0) in _LETTER_ACCENTS:
        return _argument_end(text, end, letter=True)
    while end < len(text) and text[end] in "{[":  # every argument: \textbf{x}, \frac{1}{2}, \sqrt[3]{x}
        end = _group_end(text, end)
    return end


def _argument_end(text: str, index: int, *, letter: bool) -> int:
    while index < len(text) and text[index] == " ":
        index += 1
    if index < len(text) and text[index] == "{":
        return _group_end(text, index)
    return min(index + 1, len(text)) if letter else index


def _group_end(text: str, start: int) -> int:
    opening = text[start]
    closing = "}" if opening == "{" else "]"
    depth = 0
    index = start
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text)


def _find_unescaped(text: str, token: str, start: int) -> int:
    index = text.find(token, start)
    while index > 0 and text[index - 1] == "\\":
        index = text.find(token, index + 1)
    return index


@functools.lru_cache(maxsize=16384)
def _convert(span: str) -> str:
    source = _OPERATOR_BEFORE_MACRO.sub(r"\1\\ ", _UNESCAPED_PERCENT.sub(r"\\%", span))
    try:
        converted: str = _converter().latex_to_text(source)
    except Exception:  # pylatexenc is tolerant, yet fails on some real abstracts: never let that stop a feed
        converted = source.replace("$", "").replace("{", "").replace("}", "").replace("\\", "")
    return converted


def clear_caches() -> None:
    """Forget the converted TeX spans (after a poll: the next day's abstracts bring their own)."""
    _convert.cache_clear()
