"""`defuse` reads a plain UTF-8 document on its bytes (no decoded copy of a 4.6 MB body, issue 16); whatever the
document, it must say exactly what the decode-then-check path (`defuse_text`) says."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.intake.parse._defuse import REFUSED_ENTITIES, defuse, defuse_text

DATA = Path(__file__).resolve().parents[1] / "data"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
DOCUMENTS = sorted(DATA.rglob("*.xml")) + sorted(SHARED.rglob("*.xml"))

HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n'
TRICKY = {
    "CDATA that mentions a DOCTYPE": HEAD + b"<rss><item><![CDATA[ <!DOCTYPE x [<!ENTITY a 'b'>]> ]]></item></rss>",
    "comment that mentions an entity": HEAD + b"<rss><!-- <!ENTITY a 'b'> --><item/></rss>",
    "an external DTD reference": HEAD + b'<!DOCTYPE rss SYSTEM "http://example.org/rss.dtd"><rss/>',
    "an entity after a CDATA section": HEAD + b"<rss><![CDATA[x]]><!ENTITY a 'b'></rss>",
    "a lower-case doctype with entities": HEAD + b"<!doctype rss [<!entity a 'b'>]><rss>&a;</rss>",
    "an unterminated CDATA section": HEAD + b"<rss><![CDATA[ <!DOCTYPE",
    "an unterminated comment": HEAD + b"<rss><!-- <!ENTITY",
    "a byte order mark": codecs.BOM_UTF8 + HEAD + b"<rss/>",
    "utf8 declared without its hyphen": b'<?xml version="1.0" encoding="utf8"?><rss/>',
    "Latin-1 declared": b'<?xml version="1.0" encoding="ISO-8859-1"?><rss><title>caf\xe9</title></rss>',
    "bytes that are not UTF-8": HEAD + b"<rss><title>caf\xe9</title></rss>",
    "UTF-8 cut in the middle of a character": HEAD + b"<rss><title>\xc3",
    "UTF-7, markup in disguise": b'<?xml version="1.0" encoding="UTF-7"?>+ADw-+ACE-ENTITY a +ACI-b+ACI-+AD4-<rss/>',
    "UTF-16": '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "b">]><r/>'.encode("utf-16"),
    "text before the markup": b"hello <rss/>",
    "an encoding name with a space": b'<?xml version="1.0" encoding="x y"?><rss/>',
    "UTF-8 then another encoding declared": b'<?xml version="1.0" encoding="utf-8" encoding="latin-1"?><rss/>',
    "mismatched quotes": b"<?xml version=\"1.0\" encoding='utf-8\"?><rss/>",
    "a no-break space before the equals sign": '<?xml encoding\u00a0="latin-1"?><rss>é</rss>'.encode(),
    "a dotless i in ENTITY": '<?xml version="1.0"?><rss><!ENTıTY a "b"></rss>'.encode(),
    "a dotted capital I in ENTITY": '<rss><!ENTİTY a "b"></rss>'.encode(),
    "UTF-16 without a byte order mark": '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><r/>'.encode("utf-16-le"),
    "a declaration beyond the head": b"<?xml" + b" " * 5000 + b'encoding="latin-1"?><rss/>',
    "no '>' in the head": b"<?xml version" + b"x" * 5000,
    "nothing": b"",
}


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_every_real_document_is_handed_back_as_the_text_path_hands_it(path: Path) -> None:
    data = path.read_bytes()
    assert defuse(data) == defuse_text(data)


@pytest.mark.parametrize("name", TRICKY)
def test_tricky_documents_get_the_text_paths_answer(name: str) -> None:
    data = TRICKY[name]
    assert defuse(data) == defuse_text(data)


def test_a_real_utf8_feed_is_handed_back_unchanged_and_a_hostile_one_still_refused() -> None:
    listing = (DATA / "feeds" / "arxiv-listing-2024-11-28-all.xml").read_bytes()
    assert defuse(listing) == (listing, "")
    assert defuse(TRICKY["a lower-case doctype with entities"]) == (b"", REFUSED_ENTITIES)
    assert defuse(TRICKY["an entity after a CDATA section"]) == (b"", REFUSED_ENTITIES)


_PIECES = st.sampled_from([
    "<rss>", "</rss>", "<item>", "<![CDATA[", "]]>", "<!--", "-->", "<!DOCTYPE rss", "<!doctype", "<!ENTITY",
    "<!EnTiTy", "[", "]", ">", '"', "'", "café", "é", "∀x", "😀", "text", " ", "\n", "<", "!", "-", "ı", "İ",
    "<?xml ", "encoding=", '"utf-8"', "'UTF-8'", '"latin-1"', "\u00a0", "\x1c", "<!ENTıTY", "\x00",
])


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=25),
       st.sampled_from(["", HEAD.decode(), '<?xml version="1.0"?>', '<?xml encoding="x"?>', "<\x00?\x00"]),
       st.booleans())
def test_any_document_of_markup_pieces_gets_the_same_answer_both_ways(pieces: list[str], head: str,
                                                                       break_utf8: bool) -> None:
    data = (head + "".join(pieces)).encode("utf-8")
    if break_utf8:
        data += b"\xff"
    assert defuse(data) == defuse_text(data)
