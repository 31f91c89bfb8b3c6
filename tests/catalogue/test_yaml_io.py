"""Loading validates everything and names the file and line of each problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalogue.service import CatalogueService
from bot.catalogue.yaml_io import load_catalogue
from bot.errors import CatalogueError


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems_of(directory: Path) -> str:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(directory)
    return str(info.value)


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_the_committed_catalogue_is_valid(catalogue_dir: Path) -> None:
    catalogue = load_catalogue(catalogue_dir)
    assert len(catalogue.topics) == 38
    assert catalogue.topic("sparse-coding").aliases[:2] == ("sae", "saes")


def test_unknown_key_names_file_line_and_a_suggestion(catalogue_dir: Path) -> None:
    path = catalogue_dir / "library.yaml"
    edit(path, "title: TransformerLens", "titel: TransformerLens")
    message = problems_of(catalogue_dir)
    line = line_of(path, "titel:")
    assert f"library.yaml:{line}: unknown entry key 'titel' (did you mean 'title'?)" in message
    assert "has no title" in message


def test_bad_yaml_syntax_names_the_line(catalogue_dir: Path) -> None:
    path = catalogue_dir / "survey.yaml"
    edit(path, "      kind: survey\n", "      kind: [survey\n")
    message = problems_of(catalogue_dir)
    assert "survey.yaml:" in message
    assert "invalid YAML" in message
    number = int(message.split("survey.yaml:")[1].split(":")[0])
    assert abs(number - line_of(path, "kind: [survey")) <= 2


def unclose_quote(catalogue_dir: Path, quote: str, value_end: str) -> tuple[int, str]:
    """survey.yaml with its quoted values in `quote`, the one ending in `value_end` left open: the line it is on,
    and what loading the list says."""
    path = catalogue_dir / "survey.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"', "'") if quote == "'" else text, encoding="utf-8")
    edit(path, f"{value_end}{quote}\n", f"{value_end}\n")
    return line_of(path, value_end), problems_of(catalogue_dir)


@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_quote_left_open_is_named_on_its_own_line_not_where_the_yaml_gives_up(catalogue_dir: Path,
                                                                                 quote: str) -> None:
    """A quoted value runs on over the lines after it until a quote closes it: the problem was reported there
    (10 or 100 lines on, in another entry), where nothing is wrong."""
    line, message = unclose_quote(catalogue_dir, quote, "Deep Neural Networks")
    assert f"survey.yaml:{line}: invalid YAML: a quoted value starts on this line and runs on to line " in message
    assert "is its closing quote missing?" in message


@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_quote_left_open_in_the_last_quoted_value_is_named_on_its_own_line(catalogue_dir: Path, quote: str) -> None:
    """With no quote after it to close it, the value runs on to the end of the file: the problem was reported on a
    line past the file's last ("found unexpected end of stream"), nowhere near the value."""
    line, message = unclose_quote(catalogue_dir, quote, "A Comprehensive Survey")
    assert f"survey.yaml:{line}: invalid YAML: a quoted value starts on this line and runs on to the end of the " \
           "file" in message
    assert "is its closing quote missing?" in message


@pytest.mark.parametrize(("written", "expected"), [
    ("title: Explainability for Large Language Models: A Survey",
     'survey.yaml:{line}: invalid YAML: a value with ": " in it must be in straight double quotes: '
     'title: "Explainability for Large Language Models: A Survey"'),
    # Quotes pasted from a document are letters to YAML: the value is unquoted, and its ': ' fails the same way.
    ("title: “Explainability for Large Language Models: A Survey”",
     'survey.yaml:{line}: invalid YAML: “ ” are not quotes to YAML, and a value with ": " in it must be in straight '
     'double quotes: title: "Explainability for Large Language Models: A Survey"'),
])
def test_a_title_with_a_subtitle_left_unquoted_is_told_how_to_quote_it(catalogue_dir: Path, written: str,
                                                                       expected: str) -> None:
    """Most paper titles have a subtitle after a colon: left unquoted, YAML's own words were "mapping values are
    not allowed in this context", which says nothing to a contributor about quotes."""
    path = catalogue_dir / "survey.yaml"
    edit(path, 'title: "Explainability for Large Language Models: A Survey"', written)
    message = problems_of(catalogue_dir)
    assert expected.format(line=line_of(path, "Explainability")) in message


def test_a_note_with_a_colon_is_named_on_its_own_line_with_how_to_quote_it(catalogue_dir: Path) -> None:
    """The list's notes often start "Note:": unquoted, YAML reads that item as a key and its value, and the loader
    named the entry's first line with "'notes' must be a list of strings", neither the note nor the fix."""
    path = catalogue_dir / "library.yaml"
    edit(path, "        - Contains some methods", "        - Note: it needs PyTorch\n        - Contains some methods")
    message = problems_of(catalogue_dir)
    assert f"library.yaml:{line_of(path, 'Note: it needs')}: 'notes' must be a list of strings, and YAML reads Note: " \
           'it needs PyTorch as a key and its value, not as text: quote it ("Note: it needs PyTorch")' in message


def test_a_key_indented_deeper_than_its_neighbours_is_named_as_such(catalogue_dir: Path) -> None:
    path = catalogue_dir / "library.yaml"
    edit(path, "      kind: library\n", "        kind: library\n")
    message = problems_of(catalogue_dir)
    assert f"library.yaml:{line_of(path, 'kind: library')}: invalid YAML: a ': ' where no key can start: is this " \
           "line's key indented more than the keys above it? Line it up with them" in message


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("library.yaml", "url: https://github.com/neelnanda-io/TransformerLens",
         "url: not-a-url", "malformed URL 'not-a-url'"),
        ("library.yaml", "url: https://github.com/alan-cooney/CircuitsVis",
         "url: javascript:alert(1)", "malformed URL 'javascript:alert(1)'"),
        # The link checker stores a link in 2,000 characters: a longer one stopped its every run on PostgreSQL.
        ("library.yaml", "url: https://github.com/davidbau/baukit",
         "url: https://github.com/davidbau/baukit?q=" + "q" * 2000,
         "a URL of 2,037 characters ('https://github.com/davidbau/baukit?q=" + "q" * 23 + "'...): at most 2,000"),
        ("library.yaml", "- topic: library", "- topic: librray", "topic 'librray' is not in topics.yaml"),
        ("library.yaml", "id: circuitsvis", "id: transformerlens", "duplicate entry id 'transformerlens'"),
        ("topics.yaml", "slug: video", "slug: survey", "duplicate topic slug 'survey'"),
        ("library.yaml", "kind: library", "kind: podcast", "kind 'podcast' is not one of"),
        ("learning-dynamics.yaml", "    - see: progress-measures", "    - see: no-such-entry-progress-measures",
         "'see: no-such-entry-progress-measures-for-grokking-via-mechanistic-interpretability' names no entry"),
        ("library.yaml", "title: TransformerLens", "title: !!python/object:os.system echo",
         "could not determine a constructor"),
        ("library.yaml", "title: baukit", "title: baukit\n      title: again", "duplicate key 'title'"),
        # A bare 2202.05262 is a number to YAML; a version or a URL is not the bare id lookups index.
        ("application.yaml", 'arxiv: "2202.05262"', "arxiv: 2202.05262",
         '\'arxiv\' must be text: quote it (arxiv: "2202.05262")'),
        ("application.yaml", 'arxiv: "2202.05262"', 'arxiv: "2202.05262v5"',
         "'arxiv' must be a bare arXiv id without its version"),
        ("application.yaml", 'arxiv: "2202.05262"', "arxiv: https://arxiv.org/abs/2202.05262",
         "'arxiv' must be a bare arXiv id without its version"),
        # Text YAML reads as a number, a boolean or a date: said like an id's ("has no title" sent people looking).
        ("library.yaml", "title: TransformerLens", "title: 1984",
         """'title' 1984 is read by YAML as int 1984, not as text: quote it (title: "1984")"""),
        ("library.yaml", "title: TransformerLens", "title: 2024-01-01",
         """'title' 2024-01-01 is read by YAML as date datetime.date(2024, 1, 1), not as text: quote it"""),
        ("library.yaml", "- label: github", "- label: 2023",
         """'label' 2023 is read by YAML as int 2023, not as text: quote it (label: "2023")"""),
        ("application.yaml", "acronym: ROME", "acronym: No",
         """'acronym' No is read by YAML as bool False, not as text: quote it (acronym: "No")"""),
    ],
)
def test_each_kind_of_mistake_is_reported(catalogue_dir: Path, file: str, old: str, new: str, expected: str) -> None:
    edit(catalogue_dir / file, old, new)
    message = problems_of(catalogue_dir)
    assert expected in message
    assert f"{file}:" in message


def test_a_broken_topics_file_is_the_one_problem_reported(catalogue_dir: Path) -> None:
    """Its topics gone, every entry file's topic blocks would be "not in topics.yaml": 30 problems for one line."""
    edit(catalogue_dir / "topics.yaml", "slug: video", "slug: [video")
    message = problems_of(catalogue_dir)
    assert message.count("\n") == 1, message  # "(1 problem):" and the one line
    assert "topics.yaml:" in message
    assert "invalid YAML" in message


def test_a_bad_parent_slug_is_reported_without_its_subtrees_knock_on_errors(catalogue_dir: Path) -> None:
    """A bad slug drops the topic and its subtree; the entry files' blocks under them are not each reported."""
    edit(catalogue_dir / "topics.yaml", "slug: tools-techniques-methods", "slug: Tools-techniques-methods")
    edit(catalogue_dir / "library.yaml", "url: https://github.com/alan-cooney/CircuitsVis", "url: not-a-url")
    message = problems_of(catalogue_dir)
    assert "topics.yaml:" in message
    assert "is not in topics.yaml" not in message
    assert "malformed URL 'not-a-url'" in message  # what else is wrong still shows in the same round


def test_a_tree_that_loads_with_a_small_problem_still_has_the_entry_files_checked(catalogue_dir: Path) -> None:
    edit(catalogue_dir / "topics.yaml", "slug: video", "slug: survey")
    edit(catalogue_dir / "library.yaml", "url: https://github.com/alan-cooney/CircuitsVis", "url: not-a-url")
    message = problems_of(catalogue_dir)
    assert "duplicate topic slug 'survey'" in message
    assert "library.yaml:" in message and "malformed URL 'not-a-url'" in message  # the same round, not the next


def test_the_service_refuses_to_start_on_an_invalid_catalogue(catalogue_dir: Path) -> None:
    edit(catalogue_dir / "library.yaml", "title: baukit", "title: ''")
    with pytest.raises(CatalogueError, match="has no title"):
        CatalogueService(catalogue_dir)


def test_a_broken_edit_while_running_keeps_the_last_valid_list(catalogue_dir: Path) -> None:
    service = CatalogueService(catalogue_dir)
    before = service.index
    (catalogue_dir / "library.yaml").write_text("- topic: [broken\n", encoding="utf-8")
    assert service.index is before  # still serving, not crashing


def test_an_emptied_entry_file_is_refused_not_dropped_from_the_readme(catalogue_dir: Path) -> None:
    (catalogue_dir / "library.yaml").write_text("# emptied by mistake\n", encoding="utf-8")
    assert "library.yaml:1: no topic blocks: the file is empty" in problems_of(catalogue_dir)
    (catalogue_dir / "video.yaml").write_text("[]\n", encoding="utf-8")
    assert "video.yaml:1: no topic blocks" in problems_of(catalogue_dir)


def test_an_entry_file_renamed_to_yml_is_refused_not_dropped_from_the_readme(catalogue_dir: Path) -> None:
    """Only *.yaml is read: survey.yml's 5 entries vanished, status said only "README STALE", and `render` would
    have deleted them from the README."""
    (catalogue_dir / "survey.yaml").rename(catalogue_dir / "survey.yml")
    assert "survey.yml: catalogue files end in .yaml: rename it survey.yaml" in problems_of(catalogue_dir)


BILLION_LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True))


def test_an_alias_bomb_is_refused_at_once_with_file_and_line(catalogue_dir: Path) -> None:
    """Nine lines that expand to 9**9 values: refused before anything expands them (it took 47 s to fail)."""
    assert len(BILLION_LAUGHS.splitlines()) == 9
    (catalogue_dir / "zz-bomb.yaml").write_text(BILLION_LAUGHS, encoding="utf-8")
    message = problems_of(catalogue_dir)
    assert "zz-bomb.yaml:5: aliases here expand to more than 10,000 values" in message


def test_an_alias_that_contains_itself_is_refused(catalogue_dir: Path) -> None:
    (catalogue_dir / "zz-loop.yaml").write_text("- &block\n  topic: probing\n  entries: [*block]\n",
                                                encoding="utf-8")
    assert "zz-loop.yaml:1: an alias refers to the value that contains it" in problems_of(catalogue_dir)


def test_an_id_yaml_reads_as_a_boolean_says_to_quote_it(catalogue_dir: Path) -> None:
    path = catalogue_dir / "library.yaml"
    text = path.read_text(encoding="utf-8")
    first_id = text.split("- id: ", 1)[1].split("\n", 1)[0]
    edit(path, f"- id: {first_id}\n", "- id: no\n")
    assert 'entry id no is read by YAML as bool False, not as text: quote it (id: "no")' in problems_of(catalogue_dir)


def test_an_entry_added_by_hand_without_an_id_is_told_to_give_it_one(catalogue_dir: Path) -> None:
    (catalogue_dir / "zz-new.yaml").write_text(
        "- topic: probing\n  entries:\n    - title: Probing the Geometry of Truth\n      links:\n"
        "        - label: arxiv\n          url: https://arxiv.org/abs/2501.00001\n", encoding="utf-8")
    assert ("zz-new.yaml:3: entry has no id: give it one of lower-case letters, digits and '-' "
            "(id: probing-the-geometry-of-truth)") in problems_of(catalogue_dir)


def test_a_placement_by_title_alone_round_trips(catalogue_dir: Path, tmp_path: Path) -> None:
    """`see: ID` with `links: false`: the list shows the entry there by title, its links where it is recorded."""
    from bot.catalogue.markdown import render_markdown
    from bot.catalogue.yaml_write import write_catalogue

    catalogue = load_catalogue(catalogue_dir)
    assert ("in-context-learning", "in-context-learning-and-induction-heads") in catalogue.unlinked
    readme = render_markdown(catalogue)
    assert "* 🌟**In-context learning and induction heads**\n" in readme
    assert readme.count("](https://transformer-circuits.pub/2022/in-context-learning-and-induction-heads/") == 1
    write_catalogue(catalogue, tmp_path / "again")
    assert render_markdown(load_catalogue(tmp_path / "again")) == readme


def test_links_beside_see_must_be_true_or_false(catalogue_dir: Path) -> None:
    path = catalogue_dir / "function.yaml"
    edit(path, "      links: false\n", "      links: no thanks\n")
    assert f"function.yaml:{line_of(path, 'links: no thanks')}: 'links' beside 'see' must be true or false" in \
        problems_of(catalogue_dir)


@pytest.mark.parametrize("added", ["2026-02-30", "2026-13-45", "2026-01-01 25:00:00"])
def test_a_date_no_calendar_has_names_its_line_instead_of_crashing(catalogue_dir: Path, added: str) -> None:
    """PyYAML builds a bare date with datetime(), which raised ValueError through every command and every lookup
    of a running bot."""
    path = catalogue_dir / "component.yaml"
    edit(path, "    - id: in-context-learning-and-induction-heads\n",
         f"    - id: in-context-learning-and-induction-heads\n      added: {added}\n")
    message = problems_of(catalogue_dir)
    assert f"component.yaml:{line_of(path, 'added: ')}: '{added}' is not a real date or time (quote it" in message
    service_dir = catalogue_dir.parent / "running"
    service_dir.mkdir()
    for file in catalogue_dir.glob("*.yaml"):
        (service_dir / file.name).write_text(file.read_text(encoding="utf-8").replace(f"added: {added}", "added: "
                                             "2026-02-03"), encoding="utf-8")
    service = CatalogueService(service_dir)
    before = service.index
    (service_dir / "component.yaml").write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert service.index is before  # the running bot keeps the last valid list


@pytest.mark.parametrize("added", ["24/11/2026", '"2026-11-31"', "yesterday", "2026-11-24 10:00:00"])
def test_added_must_be_a_date(catalogue_dir: Path, added: str) -> None:
    """`recent` sorts by it: text like "24/11/2026" sorted above every 2026 date."""
    path = catalogue_dir / "component.yaml"
    edit(path, "    - id: in-context-learning-and-induction-heads\n",
         f"    - id: in-context-learning-and-induction-heads\n      added: {added}\n")
    written = added.strip('"')
    assert f"component.yaml:{line_of(path, 'added: ')}: 'added' must be a date written YYYY-MM-DD, not " \
           f"'{written}'" in problems_of(catalogue_dir)  # as written, not as Python shows the value


@pytest.mark.parametrize("added", ["2026-11-24", '"2026-11-24"'])
def test_added_as_a_bare_or_quoted_date_reads_the_same(catalogue_dir: Path, added: str) -> None:
    edit(catalogue_dir / "component.yaml", "    - id: in-context-learning-and-induction-heads\n",
         f"    - id: in-context-learning-and-induction-heads\n      added: {added}\n")
    entry = load_catalogue(catalogue_dir).entry("in-context-learning-and-induction-heads")
    assert entry is not None and entry.added == "2026-11-24"


def test_an_entry_that_did_not_load_is_not_also_a_dangling_see(catalogue_dir: Path) -> None:
    """function.yaml's `see:` of the entry is right: a "did you mean" would have the maintainer break it."""
    edit(catalogue_dir / "component.yaml", "      title: In-context learning and induction heads\n",
         "      titel: In-context learning and induction heads\n")
    message = problems_of(catalogue_dir)
    assert "component.yaml:" in message
    assert "names no entry" not in message and "function.yaml" not in message


def test_a_see_into_a_file_that_did_not_load_gets_no_did_you_mean(catalogue_dir: Path) -> None:
    edit(catalogue_dir / "component.yaml", "- topic: component-general\n", "- topic: component-general\n\t\n")
    message = problems_of(catalogue_dir)
    assert "'see: in-context-learning-and-induction-heads' names no entry that loaded (it may be in one of the " \
           "problems above)" in message
    assert "did you mean" not in message


def test_a_mistyped_see_is_reported_whatever_else_is_wrong(catalogue_dir: Path) -> None:
    """One broken entry elsewhere hid a real typo until the next round."""
    edit(catalogue_dir / "function.yaml", "    - see: in-context-learning-and-induction-heads\n",
         "    - see: in-context-learning-and-induction-head\n")
    edit(catalogue_dir / "library.yaml", "- id: transformerlens\n", "- id: 1234\n")  # an entry that did not load
    message = problems_of(catalogue_dir)
    assert "entry id 1234 is read by YAML as int" in message
    assert "'see: in-context-learning-and-induction-head' names no entry" in message


def test_a_problem_shows_the_invisible_characters_it_quotes_instead_of_sending_them(catalogue_dir: Path) -> None:
    """Most problems quote with repr; an unknown key, a dangling `see:` or a duplicate slug were quoted as written,
    and `interp-bot` printed a hand-edited file's ESC to the terminal (clearing it, or retitling the window)."""
    path = catalogue_dir / "library.yaml"
    edit(path, "title: TransformerLens", '"tit\\e[2Jle": TransformerLens\n      title: TransformerLens')
    edit(path, "- id: circuitsvis", '- see: "nope\\e]0;owned\\a\\u202e"\n    - id: circuitsvis')
    message = problems_of(catalogue_dir)
    assert "unknown entry key 'tit\\x1b[2Jle'" in message
    assert "'see: nope\\x1b]0;owned\\x07\\u202e' names no entry" in message
    for invisible in "\x1b\x07\u202e":
        assert invisible not in message


@pytest.mark.parametrize("character", ["\x0c", "\x0b", "\x1c", "\x7f"])
def test_a_control_character_yaml_refuses_is_named_by_its_line(catalogue_dir: Path, character: str) -> None:
    """PyYAML refuses a raw form feed or other control character anywhere in the file, and said only "position
    215" (bytes under libyaml): the maintainer had to count characters to find an invisible one."""
    path = catalogue_dir / "library.yaml"
    edit(path, "title: TransformerLens", f'title: "Transformer{character}Lens"')
    message = problems_of(catalogue_dir)
    line = line_of(path, "Transformer")
    assert f"library.yaml:{line}: invalid YAML: the control character U+{ord(character):04X} is not allowed" in message
    assert "position" not in message
    assert character not in message


def test_an_alias_that_is_another_topics_name_is_refused_where_it_is_written(catalogue_dir: Path) -> None:
    """Given `library` as an alias of Survey, `topic library` answered "could mean 2 topics ... pick one with
    `topic SLUG`", and the slug it offered, `library`, asked the same again: the reader could not reach Library."""
    path = catalogue_dir / "topics.yaml"
    edit(path, "aliases: [surveys,", "aliases: [surveys, library,")
    message = problems_of(catalogue_dir)
    assert f"topics.yaml:{line_of(path, 'surveys, library')}: alias 'library' of 'survey' is the name of topic " \
           "'library', which `topic library` would no longer find: remove it" in message


def test_a_topic_nested_deeper_than_markdown_headings_go_is_refused(catalogue_dir: Path) -> None:
    """Six levels down, the README wrote "####### Deeper": a paragraph on GitHub, not a heading, so its entries
    stood under the topic above and the "By Topic" link to it led nowhere."""
    edit(catalogue_dir / "topics.yaml", "                title: Neuron\n",
         "                title: Neuron\n                children:\n                  - slug: deep\n"
         "                    title: Deep\n                    children:\n                      - slug: deeper\n"
         "                        title: Deeper\n")
    message = problems_of(catalogue_dir)
    assert f"topics.yaml:{line_of(catalogue_dir / 'topics.yaml', 'slug: deeper')}" in message
    assert "topic 'deeper' is nested 6 deep" in message
    assert "'deep'" not in message  # five levels (######) is still a heading
