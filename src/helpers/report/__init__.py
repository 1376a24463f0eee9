"""The committee's report: display helpers for notebooks, disclosure control, the sections, the render.

Four modules (issue 11): `display` (md, table, figure, the one label map), `disclosure`
(suppression, identifiers, the safety check), `sections` (the report's own text) and `render`
(pandoc). Computation modules never import any of them. This package re-exports what notebooks,
the runner and the tests use, so `from helpers import report; report.table(...)` is unchanged.

Notebooks show prose, tables and figures only through ``md``, ``table`` and
``figure``, so small-count suppression and captions are applied in one place:

- ``md(text)`` emits a ``text/markdown``-only output (pandoc ignores Markdown
  when a ``text/plain`` twin is present, and nbval compares it as text).
- ``table(df, caption, count_cols)`` emits a pipe table inside a fenced div
  ``::: {.counts data-count-cols=... data-suppress-below=...}`` so the rendered
  HTML can be checked for unsuppressed counts (``check_safe``).
- ``figure(plot, caption)`` emits the PNG (fixed size and dpi) with the caption
  in the output metadata and as its ``text/plain`` (no memory address, so nbval
  passes); ``report/filter.lua`` turns it into a numbered, captioned figure.

``render(run_dir, manifest)`` writes the sections that belong to no notebook
(front: summary, terminology, aim; back: limitations, appendix) from
``report/templates/*.md`` filled with the run's numbers, wraps them as
markdown-only notebooks and calls pandoc once on front + executed notebooks +
back. It then refuses the file (raises ``ReportSafetyError``) if
``check_safe`` finds any identifier, unsuppressed count or off-file reference.
"""

from __future__ import annotations

from . import display as display_module
from .disclosure import (CRIME_COLUMNS, PERSON_COLUMNS, PRIMARY, SECONDARY, SECONDARY_MARK, ReportSafetyError,
                         check_safe, disclosure, identifiers, suppress)
from .display import (HEADERS, RULE_WORDS, STAGES, counter, exclusions_table, figure, figure_png, fmt_count,
                      html_text, ledger_html, md, pct, rule_label, table, table_html, table_markdown, text)
from .render import (CSS, FILTER, RESTRICTED, SUBTITLE, TITLE, combine_notebooks, is_restricted, pandoc_path,
                     render, write_sections)
from .sections import (REPORT_DIR, TEMPLATES, _changes_section, _network_sentences, _stability_sentence,
                       back_matter, excluded_rows, front_matter, grading_table, long_date, search_terms_table,
                       source_origin)

__all__ = ["CRIME_COLUMNS", "CSS", "FILTER", "HEADERS", "PERSON_COLUMNS", "PRIMARY", "REPORT_DIR", "RESTRICTED",
           "RULE_WORDS", "SECONDARY", "SECONDARY_MARK", "STAGES", "SUBTITLE", "TEMPLATES", "TITLE",
           "ReportSafetyError", "back_matter", "check_safe", "combine_notebooks", "counter", "disclosure",
           "display_module", "excluded_rows", "exclusions_table", "figure", "figure_png", "fmt_count",
           "front_matter", "grading_table", "html_text", "identifiers", "is_restricted", "ledger_html",
           "long_date", "md", "pandoc_path", "pct", "render", "rule_label", "search_terms_table",
           "source_origin", "suppress", "table", "table_html", "table_markdown", "text",
           "write_sections", "_changes_section", "_network_sentences", "_stability_sentence"]
