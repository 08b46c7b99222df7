"""Text written into the copy's XML parts, as the reporter has always seen it there.

The copy's comments and Feedback sheet were first written as raw XML text, and an XML
parser turns a raw carriage return (alone or before a line feed) into a line feed. lxml
keeps a carriage return as `&#13;` instead, which Excel shows differently, so the line
ends are turned into line feeds here first: the copy shows what it always showed.
"""

from __future__ import annotations

from typing import Final

# On a <t> element: keep the text's leading and trailing spaces, which a reader may drop.
XML_SPACE: Final = "{http://www.w3.org/XML/1998/namespace}space"


def line_feeds(text: str) -> str:
    """`text` with every line ending in a line feed, as an XML parser would read it."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
