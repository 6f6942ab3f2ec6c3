"""User text in worksheet specs: plain prose with whitelisted `$math$`, parsed once.

Everything outside ``$...$`` is plain text (escaped when rendered); math segments may
use only commands that typeset symbols, fonts, accents and spacing — nothing that
reads or writes files, defines macros or changes catcodes — so a spec cannot run TeX.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InputError

__all__ = ["Text", "EMPTY", "parse_text", "MATH_COMMANDS", "TEXT_COMMANDS", "MAX_TEXT_CHARS"]

MAX_TEXT_CHARS = 20_000

# Commands allowed inside $...$.  Only commands that typeset symbols, fonts, accents
# and spacing: nothing that reads or writes files, defines macros or changes catcodes.
MATH_COMMANDS = frozenset("""
alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi
pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega
Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
cdot times div pm mp odot otimes oplus circ ast star bullet setminus
leq geq neq le ge ne approx equiv sim simeq cong propto ll gg in notin subset subseteq supset
to rightarrow leftarrow Rightarrow Leftarrow leftrightarrow mapsto implies iff mid parallel
sum prod int lim limsup liminf max min sup inf arg log ln exp sin cos tan tanh det dim
sqrt frac dfrac tfrac binom
hat widehat bar overline underline tilde widetilde vec dot ddot
mathrm mathbf mathit mathcal mathbb mathsf mathtt boldsymbol operatorname
left right big Big bigg Bigg langle rangle lfloor rfloor lceil rceil lvert rvert lVert rVert
Vert vert
ldots cdots dots vdots ddots quad qquad
infty partial nabla ell forall exists emptyset top intercal prime colon neg land lor
""".split())
# Commands whose braced argument is typeset in text mode: plain words only.
TEXT_COMMANDS = frozenset({"text", "textbf", "textit", "textrm", "emph"})
_MATH_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                 " \t\n+-*/=()[]<>,.;:!?'|^_{}")
_TEXT_ARG = re.compile(r"[A-Za-z0-9 .,;:!?'()\-/+=]*")
_SUPERSCRIPTS = {"\u00b2": "^{2}", "\u00b3": "^{3}", "\u00b9": "^{1}"}
MAX_MATH_DEPTH = 12


@dataclass(frozen=True)
class Text:
    """User text: paragraphs of ("text", s), ("math", latex) and ("display", latex) segments.

    `source` is the text as written (what key.json records); `paragraphs` is the parsed
    form the renderers use.  Math segments have passed the whitelist.
    """

    source: str
    paragraphs: tuple[tuple[tuple[str, str], ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.source.strip())

    def __str__(self) -> str:
        return self.source

    def rendered(self, prose, math, display) -> list[str]:
        """Each paragraph in an output format: prose segments through `prose`, inline and
        display math through `math` and `display` (each str -> str), stripped."""
        render = {"text": prose, "math": math, "display": display}
        return ["".join(render[kind](s) for kind, s in para).strip() for para in self.paragraphs]


EMPTY = Text("")


def parse_text(source: str, field: str) -> Text:
    r"""Split `source` into paragraphs of text and whitelisted `$math$` segments.

    >>> parse_text(r"Compute $y_{\text{drop}}$ for \$5.", "question").paragraphs
    ((('text', 'Compute '), ('math', 'y_{\\text{drop}}'), ('text', ' for $5.')),)
    >>> parse_text(r"$\input{/etc/passwd}$", "title")
    Traceback (most recent call last):
      ...
    derive.errors.InputError: title: math command \input is not allowed; allowed are symbols, fonts and accents such as \frac, \hat, \text (position 2)
    """
    if not isinstance(source, str):
        raise InputError(field, f"expected text, got {type(source).__name__}")
    if len(source) > MAX_TEXT_CHARS:
        raise InputError(field, f"text longer than {MAX_TEXT_CHARS} characters")
    paragraphs = []
    offset = 0
    for block in re.split(r"\n[ \t]*\n", source.replace("\r\n", "\n")):
        segments = _split_math(block, field, offset)
        offset += len(block) + 2
        if segments:
            paragraphs.append(tuple(segments))
    return Text(source, tuple(paragraphs))


def _split_math(block: str, field: str, offset: int) -> list[tuple[str, str]]:
    segments: list[tuple[str, str]] = []
    text: list[str] = []
    i = 0
    while i < len(block):
        ch = block[i]
        if ch == "\\" and block.startswith("\\$", i):
            text.append("$")
            i += 2
        elif ch == "$":
            display = block.startswith("$$", i)
            delim = "$$" if display else "$"
            end = block.find(delim, i + len(delim))
            if end < 0:
                raise InputError(field, f"unclosed {delim} at position {offset + i + 1}: math goes between "
                                        f"two {delim} signs (write \\$ for a dollar sign)")
            if text:
                segments.append(("text", _check_text("".join(text), field)))
                text = []
            math = block[i + len(delim):end]
            if math.strip():
                segments.append(("display" if display else "math",
                                 _check_math(math, field, offset + i + len(delim))))
            i = end + len(delim)
        else:
            text.append(ch)
            i += 1
    if "".join(text).strip() or (text and segments):
        segments.append(("text", _check_text("".join(text), field)))
    return segments


def _check_text(text: str, field: str) -> str:
    """Plain text must be typesettable: refuse what pdflatex cannot print, here, early."""
    from .render.escape import escape_latex

    escape_latex(text, field=field)
    return text


def _check_math(math: str, field: str, offset: int) -> str:
    """The math segment as LaTeX, or InputError: whitelisted commands and characters only."""
    out = []
    depth = 0
    i = 0
    n = len(math)

    def fail(problem: str, at: int):
        raise InputError(field, f"{problem} (position {offset + at + 1})")

    while i < n:
        ch = math[i]
        if ch == "\\":
            m = re.match(r"[A-Za-z]+", math[i + 1:])
            if m is None:
                nxt = math[i + 1:i + 2]
                if nxt in (",", ";", "!", ":", "|", "{", "}", " ", "_", "%", "#", "&"):
                    out.append("\\" + nxt)
                    i += 2
                    continue
                fail(f"'\\{nxt}' is not allowed in math" if nxt else "a lone backslash ends the math", i)
            name = m.group(0)
            if name in TEXT_COMMANDS:
                arg = re.match(r"\{([^{}]*)\}", math[i + 1 + len(name):])
                if arg is None or not _TEXT_ARG.fullmatch(arg.group(1)):
                    fail(f"\\{name}{{...}} takes plain words (letters, digits, spaces, punctuation)", i)
                out.append(f"\\{name}{{{arg.group(1)}}}")
                i += 1 + len(name) + len(arg.group(0))
                continue
            if name not in MATH_COMMANDS:
                fail(f"math command \\{name} is not allowed; allowed are symbols, fonts and accents "
                     "such as \\frac, \\hat, \\text", i)
            out.append("\\" + name)
            i += 1 + len(name)
            # "\alpha2" would otherwise read as \alpha followed by 2, fine; "\alphax" cannot occur.
            continue
        if ch == "^" and math.startswith("^^", i):
            fail("'^^' is not allowed in math (TeX reads it as a character code)", i)
        if ch == "{":
            depth += 1
            if depth > MAX_MATH_DEPTH:
                fail(f"braces nested deeper than {MAX_MATH_DEPTH}", i)
        elif ch == "}":
            depth -= 1
            if depth < 0:
                fail("'}' without a matching '{'", i)
        if ch in _MATH_SAFE:
            out.append(ch)
        elif ch in _SUPERSCRIPTS:
            out.append(_SUPERSCRIPTS[ch])
        elif not ch.isascii():
            from .render.escape import escape_latex

            try:
                mapped = escape_latex(ch, field=field)
            except InputError:
                mapped = ""
            if not mapped.startswith("\\ensuremath"):
                fail(f"character {ch!r} cannot be used in math", i)
            out.append(mapped)
        else:
            fail(f"character {ch!r} is not allowed in math", i)
        i += 1
    if depth:
        fail("'{' without a matching '}'", n - 1)
    return "".join(out)
