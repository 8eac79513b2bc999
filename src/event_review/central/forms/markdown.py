"""Guidelines are Markdown, rendered here once per form version into HTML the web
client can show as it is.

CommonMark with raw HTML off: a `<script>` or an `onerror=` in a guideline is
text, not markup. Links keep markdown-it's check, which refuses
`javascript:`, `vbscript:`, `file:` and `data:` URLs. Images are off: the
client's CSP would block a remote one, and a guideline needs none.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")


@lru_cache(maxsize=4096)
def render(text: str) -> str:
    html: str = _renderer().render(text)
    return html
