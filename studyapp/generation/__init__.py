"""Text -> passages -> candidate items. No Flask imports: pure functions over dataclasses.

Public interface (used by the CLI and the teach blueprint)::

    result = generate(text, title="...", slug="...", seed=0, max_items=None)
    result.document   # interchange.records.DocumentRecord: numbered passages
    result.items      # list[interchange.records.ItemRecord]: status "draft", origin "generated",
                      #   each with .passage set and a stable ext_id derived from (passage, kind, key)
    result.report     # GenerationReport: per kind, generated / rejected by each gate / kept

    text = read_source(data: bytes, filename: str)   # .txt, .md, .html -> plain text

Errors: ``GenerationInputError`` (empty text, binary or non-UTF-8 data, no usable
sentence, over ``MAX_SOURCE_BYTES``) with a message a person understands.
"""
from __future__ import annotations

MAX_SOURCE_BYTES = 2 * 1024 * 1024
"""Largest source accepted (bytes); the web form answers 413 above it."""


class GenerationInputError(ValueError):
    """A source text that cannot be used; nothing is generated or written."""
