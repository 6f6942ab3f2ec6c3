"""Long sums broken over rows of an align* block, as one writes them by hand:

    y &= a + b + c
      &\\quad + d + e

TeX cannot break a display inside an align* cell: a row wider than the line runs into the
margin.  The printers write a sum's top-level terms separated by " + " and " - ", so a form
whose LaTeX is too long for a row is cut between its terms, shared evenly over the rows.

Lengths are counted in visible characters: the LaTeX source less its command names and
braces (three `str.count`s, so every form can be measured).  Measured against TeX on the
derivations of 120 generated variants, a visible character is 3.5-4.9 pt of typeset width
(10th-90th percentile; 6.1 pt at most) at the documents' 11 pt.
"""

from __future__ import annotations

import re

__all__ = ["visible_length", "break_sum", "LONG_FORM", "ROW_FORM"]

LONG_FORM = 90  # visible characters (~380 pt): a longer sum is broken over rows
ROW_FORM = 60  # visible characters a broken sum puts on a row (at most ~370 pt)

_OPERATOR = re.compile(r" [+-] ")
# What else opens a nesting than a brace (\left, an environment) and closes one: the printers
# write \left and \right only as delimiters, but TeX's arrows share their first letters.
_LEFT = re.compile(r"\\left(?![a-zA-Z])|\\begin\{")
_RIGHT = re.compile(r"\\right(?![a-zA-Z])|\\end\{")


def visible_length(text: str) -> int:
    """About how many characters `text` shows once typeset: a command's name is one glyph
    or none, a brace none."""
    return len(text) - 5 * text.count("\\") - text.count("{") - text.count("}")


def break_sum(text: str) -> list[str]:
    """`text` (one form's LaTeX) as the rows it takes: itself when it is short or not a sum,
    else its terms shared evenly over rows of about ROW_FORM visible characters; each row
    after the first starts with its operator (`+ t`), for the caller to indent under the first."""
    if len(text) <= LONG_FORM or (" + " not in text and " - " not in text) or visible_length(text) <= LONG_FORM:
        return [text]  # (most long forms are vectors: no operator at all)
    # The nesting depth at each operator, from the text since the one before (a scan per
    # operator of a few C-level counts: a regex over every brace took 37 µs a dot product).
    cuts, depth, before = [], 0, 0
    for match in _OPERATOR.finditer(text):
        at = match.start()
        between = text[before:at]
        depth += between.count("{") - between.count("}")
        if "\\left" in between or "\\right" in between or "\\begin{" in between or "\\end{" in between:
            depth += len(_LEFT.findall(between)) - len(_RIGHT.findall(between))
        if depth == 0:
            cuts.append(at)
        before = at
    if not cuts:
        return [text]
    # As many rows as ROW_FORM needs, filled evenly (a greedy fill left one term on the last):
    # each term goes on the row its middle falls in, measured in the source (a sum's terms are
    # alike), so a row is within a term of its share.
    count = -(-visible_length(text) // ROW_FORM)
    share = len(text) / count
    bounds = [0, *cuts, len(text)]
    rows: list[list[str]] = [[] for _ in range(count)]
    for start, end in zip(bounds, bounds[1:]):
        rows[min(count - 1, int((start + end) / 2 / share))].append(text[start:end])
    out = ["".join(row) for row in rows if row]
    return [out[0], *(row[1:] for row in out[1:])]  # " + t": the operator starts its row
