"""Long sums broken over rows of an align* block, as one writes them by hand:

    y &= a + b + c
      &\\quad + d + e

TeX cannot break a display inside an align* cell: a row wider than the line runs into the
margin.  The printers write a sum's top-level terms separated by " + " and " - ", so a form
whose LaTeX is too long for a row is cut between its terms, as many terms a row as fit.

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

# What opens a nesting (a group, \left, an environment), what closes one, and the operators
# between terms: which group matched says which (`lastindex`).
_TOKENS = re.compile(r"(\{|\\left(?![a-zA-Z])|\\begin\{[a-zA-Z*]*\})"
                     r"|(\}|\\right(?![a-zA-Z])|\\end\{[a-zA-Z*]*\})|( [+-] )")


def visible_length(text: str) -> int:
    """About how many characters `text` shows once typeset: a command's name is one glyph
    or none, a brace none."""
    return len(text) - 5 * text.count("\\") - text.count("{") - text.count("}")


def break_sum(text: str) -> list[str]:
    """`text` (one form's LaTeX) as the rows it takes: itself when it is short or not a sum,
    else its terms shared evenly over rows of about ROW_FORM; each row after the first starts
    with its operator (`+ t`), for the caller to indent under the first."""
    if len(text) <= LONG_FORM or visible_length(text) <= LONG_FORM or (" + " not in text and " - " not in text):
        return [text]  # (most long forms are vectors: no operator at all)
    cuts, depth = [], 0
    for match in _TOKENS.finditer(text):
        kind = match.lastindex
        if kind == 1:
            depth += 1
        elif kind == 2:
            depth -= 1
        elif depth == 0:
            cuts.append(match.start())
    if not cuts:
        return [text]
    bounds = [0, *cuts, len(text)]
    terms = [text[a:b] for a, b in zip(bounds, bounds[1:])]  # the first, then " + t" / " - t"
    lengths = [visible_length(t) for t in terms]
    # As many rows as ROW_FORM needs, filled evenly (a greedy fill left one term on the last):
    # a term goes on the next row once its middle would pass the row's share of the sum, so a
    # row is at most half a term over its share.
    share = sum(lengths) / -(-sum(lengths) // ROW_FORM)
    rows, row, filled = [], terms[0], lengths[0]
    for term, length in zip(terms[1:], lengths[1:]):
        if filled + length / 2 > share:
            rows.append(row)
            row, filled = term[1:], length  # "+ t": the operator starts the next row
        else:
            row += term
            filled += length
    rows.append(row)
    return rows
