"""YAML read with its line numbers, for files people edit by hand: the catalogue and feeds.yaml.

Both readers validate values they take from the nodes, so every problem can name the line it is on. This module
is the one place that parses YAML for them: only the safe loader (libyaml's when PyYAML has it, about ten times
faster), duplicate keys found, syntax errors turned into a line and a sentence, and aliases bounded: a few lines of
nested `&a [*b, *b, ...]` ("billion laughs") would otherwise expand to billions of values and hold every command for
minutes before it fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import yaml

# libyaml's safe loader when PyYAML was built with it; both keep node marks for line numbers.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# How many values aliases may add to a document beyond the ones written out. A `<<: *defaults` per feed adds a
# handful each; a billion-laughs document adds millions after a few lines.
MAX_ALIAS_EXPANSION = 10_000


class YamlSyntaxError(Exception):
    """The text is not YAML; `line` (1-based) is where the parser gave up, when it knows."""

    def __init__(self, line: int | None, message: str):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}" if line else message)


def _syntax_error(exc: yaml.YAMLError, text: str | None = None) -> YamlSyntaxError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(filter(None, [exc.context, exc.problem])) or str(exc)
        line = mark.line + 1 if mark else None
        if exc.context == "while scanning a quoted scalar" and exc.context_mark is not None and \
                exc.problem == "found unexpected end of stream":  # no quote after it closed it
            return YamlSyntaxError(exc.context_mark.line + 1, "invalid YAML: a quoted value starts on this line and "
                                   "runs on to the end of the file: is its closing quote missing?")
        opened = _quote_running_to(text, line) if text is not None and line is not None else None
        if opened is not None:
            return YamlSyntaxError(opened, f"invalid YAML: a quoted value starts on this line and runs on to line "
                                           f"{line} (there: {what}): is its closing quote missing?")
        if (exc.problem or "").startswith("mapping values are not allowed") and text is not None and line:
            return YamlSyntaxError(line, _colon_in_value(text.splitlines()[line - 1]))
        return YamlSyntaxError(line, f"invalid YAML: {what}")
    if isinstance(exc, yaml.reader.ReaderError) and isinstance(exc.character, int):
        return _reader_error(exc.character, text)
    return YamlSyntaxError(None, f"invalid YAML: {exc}")


_KEY_THEN_COLON_VALUE = re.compile(r"\s*(?:-\s+)?([\w-]+):\s+(.*?:\s.*?)\s*")
_CURLY_QUOTES = "“”‘’„«»"


def double_quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar: how an error shows the fix for a value YAML would read otherwise."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _colon_in_value(line: str) -> str:
    """What YAML's "mapping values are not allowed here" means on this line, and how to fix it: a ': ' inside an
    unquoted value (a paper's title and subtitle, often between curly quotes, which YAML takes as letters), or a
    key indented deeper than the ones above it."""
    found = _KEY_THEN_COLON_VALUE.fullmatch(line)
    if found is None:
        return ("invalid YAML: a ': ' where no key can start: is this line's key indented more than the keys above "
                "it? Line it up with them; a value with ': ' in it must be in double quotes")
    key, value = found.groups()
    curly = value[0] in _CURLY_QUOTES and value[-1] in _CURLY_QUOTES
    value = value[1:-1] if curly else value
    why = "“ ” are not quotes to YAML, and a value" if curly else "a value"
    return f'invalid YAML: {why} with ": " in it must be in straight double quotes: {key}: {double_quoted(value)}'


def _reader_error(character: int, text: str | None) -> YamlSyntaxError:
    """A character YAML does not allow in a file (a control character pasted with a title): the reader names only
    its offset, which counts bytes under libyaml and characters without it. It stops at the character's first
    occurrence, so the line is found from the text."""
    at = text.find(chr(character)) if text is not None else -1
    line = text.count("\n", 0, at) + 1 if text is not None and at >= 0 else None
    return YamlSyntaxError(line, f"invalid YAML: the control character U+{character:04X} is not allowed in a YAML "
                                 "file: delete it (an invisible character pasted with a title, often), or write "
                                 "it as an escape inside a double-quoted value")


def _quote_running_to(text: str, line: int) -> int | None:
    """The line a quoted value that ends on `line` (1-based) starts on, when that is an earlier one: a quote left
    open runs on until the next quote closes it, and the parser gives up only there, lines below the mistake."""
    opened = None
    try:
        for token in yaml.scan(text, Loader=_SAFE_LOADER):
            if token.end_mark.line + 1 > line:
                break
            if isinstance(token, yaml.ScalarToken) and token.style in ('"', "'") and \
                    token.start_mark.line + 1 < token.end_mark.line + 1 == line:
                opened = token.start_mark.line + 1
    except yaml.YAMLError:
        pass  # the scanner stops where the parser did, or before
    return opened


class YamlDocument:
    """One YAML document: its root node (None for an empty file), and values constructed from nodes on demand.

    Use as a context manager, or call `close()`: the loader holds the text until then.
    """

    def __init__(self, text: str):
        self._loader = _SAFE_LOADER(text)
        try:
            self.root: yaml.Node | None = self._loader.get_single_node()
        except yaml.YAMLError as exc:
            self.close()
            raise _syntax_error(exc, text) from None
        try:
            _check_aliases(self.root)
        except YamlSyntaxError:
            self.close()
            raise

    def value(self, node: yaml.Node | None = None) -> Any:
        """The Python value of `node` (default: the whole document), safe types only."""
        node = self.root if node is None else node
        if node is None:
            return None
        try:
            return self._loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise _syntax_error(exc) from None
        except (ValueError, OverflowError) as exc:  # a date YAML reads as one but no calendar has: 2026-02-30
            raise self._impossible_value(node, exc) from None

    def _impossible_value(self, root: yaml.Node, exc: Exception) -> YamlSyntaxError:
        """Which timestamp under `root` the constructor could not build, as a line and a sentence: only they reach
        here from the safe loader (ints and floats of any size construct)."""
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:timestamp":
                try:
                    self._loader.construct_yaml_timestamp(node)
                except (ValueError, OverflowError):
                    return YamlSyntaxError(line_of(node), f"{node.value!r} is not a real date or time (quote it "
                                                          "if it is meant as text)")
            stack.extend(reversed(_children(node)))
        return YamlSyntaxError(line_of(root), f"a value cannot be read: {exc}")

    def close(self) -> None:
        self._loader.dispose()

    def __enter__(self) -> YamlDocument:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_aliases(root: yaml.Node | None) -> None:
    """Refuse a document whose aliases expand too far, or contain themselves, before anything expands them.

    An alias is the anchored node itself, shared, so a node's expanded size is 1 + its children's sizes, each
    counted once per use. Without aliases that equals the number of distinct nodes; the excess is what aliases
    add. Walked without recursion (a document may nest deeply) and in time linear in the distinct nodes.
    """
    if root is None:
        return
    sizes: dict[int, int] = {}
    path: set[int] = set()  # the nodes being expanded, from the root down: seeing one again is a cycle
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            path.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[key] > len(sizes) + MAX_ALIAS_EXPANSION:
                raise YamlSyntaxError(line_of(node), f"aliases here expand to more than {MAX_ALIAS_EXPANSION:,} "
                                                     "values (a 'billion laughs' document): write the values out")
            continue
        if key in sizes:
            continue
        if key in path:
            raise YamlSyntaxError(line_of(node), "an alias refers to the value that contains it")
        path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def duplicate_keys(node: yaml.Node | None) -> Iterator[tuple[int | None, str]]:
    """(line, key) for every key that repeats within one mapping, anywhere below `node`."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    yield line_of(key), key.value
                seen.add(key.value)
            yield from duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from duplicate_keys(item)


def line_of(node: yaml.Node | None) -> int | None:
    """The 1-based line a node starts on."""
    return node.start_mark.line + 1 if node is not None else None


def field_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value node of `key` in a mapping node, or None."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def item_node(node: yaml.Node | None, index: int) -> yaml.Node | None:
    """The `index`th item node of a sequence node, or None."""
    if isinstance(node, yaml.SequenceNode) and index < len(node.value):
        return node.value[index]
    return None
