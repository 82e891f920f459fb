"""Read an uploaded source file (.txt, .md, .html) into plain text."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import PurePath

MAX_SOURCE_BYTES = 2 * 1024 * 1024
"""Largest source accepted (bytes); the web form answers 413 above it."""

EXTENSIONS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
              ".html": "html", ".htm": "html"}


class GenerationInputError(ValueError):
    """A source text that cannot be used; nothing is generated or written."""


_BLOCK = {"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
          "figure", "footer", "form", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
          "table", "td", "th", "tr", "ul"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_DROP = {"script", "style", "noscript", "template", "head", "svg", "math", "iframe", "object"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}


class _TextExtractor(HTMLParser):
    """Collect the text of an HTML document: blocks become paragraphs, headings '#' lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropping = 0
        self.title: list[str] = []
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        if tag in _DROP:
            if tag not in _VOID:
                self.dropping += 1
            return
        if tag == "title":
            self.in_title = True
        if tag in _HEADINGS:
            self.parts.append("\n\n# ")
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in _DROP:
            self.dropping = max(0, self.dropping - 1)
            return
        if tag == "title":
            self.in_title = False
        if tag in _HEADINGS or tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
        if self.dropping:
            return
        self.parts.append(" ".join(data.split(" ")).replace("\n", " "))


def html_to_text(markup: str) -> str:
    """Return the visible text of an HTML document, one paragraph per block element.

    Script, style and other non-content elements are dropped with their contents;
    character references are decoded; ``<h1>``-``<h6>`` become Markdown ``#`` headings.
    """
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts)
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
    lines = []
    for p in paragraphs:
        if p and p != "#":
            lines.append(p)
    return "\n\n".join(lines) + ("\n" if lines else "")


def read_source(data: bytes, filename: str) -> str:
    """Turn an uploaded file into plain text for :func:`studyapp.generation.generate`.

    Args:
        data: the file's bytes.
        filename: its name; the extension picks the format (.txt, .md, .markdown, .html, .htm).
    Returns:
        The text (HTML: visible text only, one paragraph per block).
    Raises:
        GenerationInputError: unknown extension, over ``MAX_SOURCE_BYTES``, binary data (NUL
            bytes), not UTF-8, or nothing but white space.
    """
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in EXTENSIONS:
        allowed = ", ".join(sorted(EXTENSIONS))
        raise GenerationInputError(f"'{filename}' is not a supported file type: use one of {allowed}.")
    if len(data) > MAX_SOURCE_BYTES:
        raise GenerationInputError(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_SOURCE_BYTES // (1024 * 1024)} MB.")
    if b"\x00" in data:
        raise GenerationInputError("The file looks binary (it contains NUL bytes); upload a text, "
                                   "Markdown or HTML file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GenerationInputError(
            f"The file is not UTF-8 text (undecodable byte at position {exc.start}); save it as "
            "UTF-8 and upload it again.") from None
    if EXTENSIONS[suffix] == "html":
        text = html_to_text(text)
    if not text.strip():
        raise GenerationInputError("The file is empty (or contains only white space).")
    return text
