"""Free text is safe to display: no participant HTML runs in the formgrader or in feedback.

Why: free-text answers are markdown cells.  nbconvert renders markdown with raw HTML passed
through (``<img src=x onerror=…>``, ``<script>``, ``<iframe>``) and with every link protocol
allowed (``[klik](javascript:…)``), and nbgrader's formgrade template renders answer cells
without nbconvert's ``clean_html``.  The formgrader is served on the hub's origin, so such a
payload runs as the instructor and can call the formgrader API (set grades, read everyone's work).

Two independent layers, both through nbgrader/nbconvert extension points:

1. ``EscapeAnswerHTML`` — a preprocessor for ``c.Autograde.sanitize_preprocessors``.  In the
   autograded notebook (what the formgrader and feedback show) every markdown cell gets ``<``
   written as ``&lt;`` and ``[`` as ``&#91;``.  Markdown then can produce no HTML tag, no
   autolink and no link or image at all; emphasis, lists and headings still work, and what the
   participant typed reads exactly as typed (``<script>`` shows as the text ``<script>``).
   It is idempotent.  Instructor markdown in the release has neither character (checked by
   tests/test_free_text_html.py), so it is not changed; a locked cell restored from the gradebook
   could be exempted, but the participant can edit unlocked markdown freely, so every cell is
   treated as untrusted.
2. ``markdown2html`` — a Jinja filter replacing nbconvert's own for every HTMLExporter this
   course config builds (the formgrader's page and ``generate_feedback``):
   ``c.HTMLExporter.filters = {"markdown2html": "latsar.grading.safehtml.markdown2html",
   "clean_html": "latsar.grading.safehtml.clean"}``.  It renders
   as nbconvert does, then passes the HTML through bleach (nbconvert's own sanitiser dependency)
   with an allowlist of the tags markdown produces and only http/https/mailto links; anything
   else is escaped to visible text.  This also covers notebooks autograded before layer 1 was
   configured, and the grader's own comments.

Cell outputs and raw cells: ``c.HTMLExporter.sanitize_html = True`` makes nbconvert's classic
template (which formgrade and our feedback extend) clean HTML/markdown/SVG outputs (with
:func:`clean`, registered as ``clean_html``) and drop JavaScript outputs; raw cells are always
cleaned by that template.
"""

from __future__ import annotations

import bleach
from bleach.css_sanitizer import CSSSanitizer
from jinja2 import pass_context
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbgrader.preprocessors import NbGraderPreprocessor

# What mistune makes of markdown (plus the anchor links nbconvert adds to headings).
ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
ALLOWED_ATTRIBUTES = {
    "*": ["class", "style"],
    "a": ["href", "title", "class"],
    "abbr": ["title"],
    "h1": ["id"], "h2": ["id"], "h3": ["id"], "h4": ["id"], "h5": ["id"], "h6": ["id"],
    "th": ["style", "align"], "td": ["style", "align"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
_CSS = CSSSanitizer(allowed_css_properties=["text-align", "color", "background-color", "font-weight",
                                            "font-style"])


def clean(html: str | bytes) -> str:
    """Allowlist-sanitise HTML; disallowed tags become visible text, not markup.

    Also registered as nbconvert's ``clean_html`` filter (what ``sanitize_html`` applies to
    outputs): nbconvert's own allowlist has no ``p`` or headings, and would show the
    ``<p style='color:…'>`` verdicts of our feedback as literal text."""
    html = html.decode() if isinstance(html, bytes) else str(html)
    return bleach.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                        protocols=ALLOWED_PROTOCOLS, css_sanitizer=_CSS, strip=False, strip_comments=True)


@pass_context
def markdown2html(context, source: str) -> str:
    """nbconvert's markdown2html (attachments, math, anchors), followed by :func:`clean`."""
    cell = context.get("cell") or {}
    path = (context.get("resources") or {}).get("metadata", {}).get("path", "")
    renderer = IPythonRenderer(escape=False, allow_harmful_protocols=False,
                               attachments=cell.get("attachments", {}) if hasattr(cell, "get") else {},
                               path=path)
    return clean(MarkdownWithMath(renderer=renderer).render(source))


def escape_markdown_html(source: str) -> str:
    """Markdown whose rendering contains no tag, autolink, link or image from the participant."""
    return source.replace("<", "&lt;").replace("[", "&#91;")


class EscapeAnswerHTML(NbGraderPreprocessor):
    """Autograde sanitize step: every markdown cell's raw HTML and links become plain text."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            source = escape_markdown_html(cell.source)
            if source != cell.source:
                self.log.info("Free-text HTML/link characters escaped in markdown cell %d", index)
                cell.source = source
            # attachments can only be shown through ![](attachment:…), which is now plain text
            cell.pop("attachments", None)
        return cell, resources
