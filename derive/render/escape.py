"""Escape user text for LaTeX, so that it is typeset as text and never run as TeX.

A worksheet title, a problem's prose or a student's name ends up inside a LaTeX document.
TeX is a programming language: with Debian's defaults a title of
``\\catcode95=12 \\input{/etc/passwd}`` put the whole file into the PDF, even with
``-no-shell-escape``; ``^^5cinput`` (TeX's hex notation for a backslash) did the same, and
``\\def\\x{\\x}\\x`` never stops.  Every character that TeX gives a meaning is therefore
replaced by a command that only prints it, so no control sequence, group, parameter,
superscript or comment can be formed from user text.  (`derive.render.pdf` also runs
pdflatex with ``openin_any=p`` and a time limit: two walls, not one.)

The documents derive writes use ``\\usepackage[T1]{fontenc}`` and
``\\usepackage[utf8]{inputenc}``: Latin-1 letters (é, ß, ñ...) pass through unchanged.
Other characters are mapped when there is a standard command for them (− – — “ ” × · ≈ and
the Greek letters, as ``\\ensuremath{...}`` so they work in text and math); pdflatex stops
with an error on any other one, so an unmapped character is refused with `InputError`
naming the field (``strict=True``, the default) or replaced by ``?``.

Control characters are dropped (newlines and tabs become spaces: a blank line would end a
paragraph inside a title), and so are invisible format characters, among them the bidi
overrides (U+202A–U+202E, U+2066–U+2069) that make text read differently from what it is.

TeX's ligatures are left alone: ``--`` prints an en dash and ``''`` a closing quote, as a
person typing LaTeX-ish prose expects.
"""

import re
import unicodedata
from functools import lru_cache

from derive.errors import InputError

__all__ = ["escape_latex", "latex_escape", "math_latex", "math_joined", "TEXT_ESCAPES"]


# The ten characters with a special meaning in TeX, and < > | which print as other glyphs
# (¡ ¿ —) in the OT1 encoding and are worth being explicit about in any.  [ and ] are
# braced so that text right after a template's ``\\`` or ``\item`` cannot be read as an
# optional argument (``\\[-9cm]``).  A single pass over the characters matters: the
# replacements themselves contain backslashes and braces.
_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "[": "{[}",
    "]": "{]}",
}

# Whitespace controls become a space; a blank line (\par) inside a \title or a \section
# argument is an error, and a lone one would silently start a paragraph.
_WHITESPACE = {c: " " for c in "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029"}

# Typographic characters with a text command (T1 / TS1, in the LaTeX kernel since 2020).
_TEXT = {
    "\u2212": r"\textminus{}",  # − MINUS SIGN: pdflatex stops on it unless mapped
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": r"\textendash{}",
    "\u2013": r"\textendash{}",
    "\u2014": r"\textemdash{}",
    "\u2015": r"\textemdash{}",
    "\u2018": r"\textquoteleft{}",
    "\u2019": r"\textquoteright{}",
    "\u201a": r"\quotesinglbase{}",
    "\u201c": r"\textquotedblleft{}",
    "\u201d": r"\textquotedblright{}",
    "\u201e": r"\quotedblbase{}",
    "\u2039": r"\guilsinglleft{}",
    "\u203a": r"\guilsinglright{}",
    "\u2020": r"\textdagger{}",
    "\u2021": r"\textdaggerdbl{}",
    "\u2022": r"\textbullet{}",
    "\u2026": r"\textellipsis{}",
    "\u2030": r"\textperthousand{}",
    "\u20ac": r"\texteuro{}",
    "\u2122": r"\texttrademark{}",
    "\u202f": r"\,",  # narrow no-break space (as in "10 000")
    "\u2007": "~",  # figure space, non-breaking
    "\u00a0": "~",
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
}

# Math symbols, wrapped in \ensuremath so they work in running text and in math mode.
_MATH = {
    "\u00d7": r"\times",
    "\u00b7": r"\cdot",
    "\u22c5": r"\cdot",
    "\u2219": r"\cdot",
    "\u00f7": r"\div",
    "\u00b1": r"\pm",
    "\u2213": r"\mp",
    "\u00b5": r"\mu",  # MICRO SIGN: in this field it is a mean, like μ
    "\u2248": r"\approx",
    "\u2243": r"\simeq",
    "\u2245": r"\cong",
    "\u223c": r"\sim",
    "\u2260": r"\neq",
    "\u2261": r"\equiv",
    "\u2264": r"\leq",
    "\u2265": r"\geq",
    "\u226a": r"\ll",
    "\u226b": r"\gg",
    "\u221d": r"\propto",
    "\u2192": r"\rightarrow",
    "\u2190": r"\leftarrow",
    "\u2194": r"\leftrightarrow",
    "\u21d2": r"\Rightarrow",
    "\u21d0": r"\Leftarrow",
    "\u21d4": r"\Leftrightarrow",
    "\u21a6": r"\mapsto",
    "\u221e": r"\infty",
    "\u2211": r"\sum",
    "\u220f": r"\prod",
    "\u222b": r"\int",
    "\u221a": r"\surd",
    "\u2202": r"\partial",
    "\u2207": r"\nabla",
    "\u2208": r"\in",
    "\u2209": r"\notin",
    "\u2200": r"\forall",
    "\u2203": r"\exists",
    "\u2205": r"\emptyset",
    "\u2227": r"\wedge",
    "\u2228": r"\vee",
    "\u2229": r"\cap",
    "\u222a": r"\cup",
    "\u2282": r"\subset",
    "\u2286": r"\subseteq",
    "\u2299": r"\odot",
    "\u2297": r"\otimes",
    "\u2295": r"\oplus",
    "\u2016": r"\Vert",
    "\u2225": r"\parallel",
    "\u2217": r"\ast",
    "\u2218": r"\circ",
    "\u22ee": r"\vdots",
    "\u22ef": r"\cdots",
    "\u2032": r"{}^{\prime}",
    "\u2033": r"{}^{\prime\prime}",
    # Greek.  U+03B5 ε (drawn like \varepsilon) is \epsilon too: the math of the
    # worksheets writes \epsilon, as the seed does, and prose such as "√(σ² + ε)" beside
    # it would otherwise show a second glyph for the same ε.  φ/ϕ keep their shapes.
    "\u03b1": r"\alpha",
    "\u03b2": r"\beta",
    "\u03b3": r"\gamma",
    "\u03b4": r"\delta",
    "\u03b5": r"\epsilon",
    "\u03f5": r"\epsilon",
    "\u03b6": r"\zeta",
    "\u03b7": r"\eta",
    "\u03b8": r"\theta",
    "\u03d1": r"\vartheta",
    "\u03b9": r"\iota",
    "\u03ba": r"\kappa",
    "\u03bb": r"\lambda",
    "\u03bc": r"\mu",
    "\u03bd": r"\nu",
    "\u03be": r"\xi",
    "\u03bf": "o",
    "\u03c0": r"\pi",
    "\u03d6": r"\varpi",
    "\u03c1": r"\rho",
    "\u03f1": r"\varrho",
    "\u03c2": r"\varsigma",
    "\u03c3": r"\sigma",
    "\u03c4": r"\tau",
    "\u03c5": r"\upsilon",
    "\u03c6": r"\varphi",
    "\u03d5": r"\phi",
    "\u03c7": r"\chi",
    "\u03c8": r"\psi",
    "\u03c9": r"\omega",
    "\u0393": r"\Gamma",
    "\u0394": r"\Delta",
    "\u0398": r"\Theta",
    "\u039b": r"\Lambda",
    "\u039e": r"\Xi",
    "\u03a0": r"\Pi",
    "\u03a3": r"\Sigma",
    "\u03a5": r"\Upsilon",
    "\u03a6": r"\Phi",
    "\u03a8": r"\Psi",
    "\u03a9": r"\Omega",
}
# Capital Greek letters drawn like Latin ones (Α Β Ε ...) are upright Latin in math.
_MATH.update({g: rf"\mathrm{{{latin}}}" for g, latin in zip("ΑΒΕΖΗΙΚΜΝΟΡΤΧ", "ABEZHIKMNOPTX")})
# Superscript and subscript digits and signs, common in σ², x₁, 10⁻⁵: math scripts, also
# for the Latin-1 ¹ ² ³, whose text glyphs would sit beside math ones (2²⁰, mᵢ²) and keep the
# documents from being ASCII.
_SUPERSCRIPTS = {sup: d for sup, d in zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ", "0123456789+-=()ni")}
_SUBSCRIPTS = {sub: d for sub, d in zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ᵢⱼₙₖ", "0123456789+-=()ijnk")}
_SCRIPT_CHARS = {**_SUPERSCRIPTS, **_SUBSCRIPTS}
_MATH.update({sup: f"^{{{d}}}" for sup, d in _SUPERSCRIPTS.items()})
_MATH.update({sub: f"_{{{d}}}" for sub, d in _SUBSCRIPTS.items()})
_MATH["\u1d40"] = r"^{\top}"  # ᵀ, the transpose in Xᵀy
# A run of superscripts (2²⁰, 10⁻⁵) or of subscripts (x₁₂): one exponent or index.  A text
# without any, nearly every one, costs one scan.
_HAS_SCRIPT = re.compile(f"[{''.join(_SCRIPT_CHARS)}]")
_SCRIPT_RUN = re.compile(f"[{''.join(_SUPERSCRIPTS)}]+|[{''.join(_SUBSCRIPTS)}]+")
# The math group a text's escaped part ends with (\ensuremath{\sigma}, \ensuremath{_{i}}).
_LAST_MATH = re.compile(r"\\ensuremath\{((?:[^{}]|\{[^{}]*\})*)\}\Z")

# What a special or typographic character becomes in running text (derive.moodle reads it back).
TEXT_ESCAPES = {**_SPECIALS, **_TEXT}

_MAP = {**_SPECIALS, **_WHITESPACE, **_TEXT}
_MAP.update({ch: rf"\ensuremath{{{cmd}}}" for ch, cmd in _MATH.items()})

# An underscore right after a Greek letter is its subscript (θ_λ, θ_sep, σ_1), never a
# literal underscore beside math: set as one math group, a word index upright in \text.
_GREEK = "|".join(cmd[1:] for ch, cmd in _MATH.items() if "\u0391" <= ch <= "\u03f5" and cmd.isascii()
                  and cmd[1:].isalpha())
_GREEK_INDEX = re.compile(rf"\\ensuremath\{{(\\(?:{_GREEK}))\}}\\_"
                          r"(?:\\ensuremath\{(\\[A-Za-z]+)\}|([A-Za-z]+|[0-9]+)(?![A-Za-z0-9]))")


def _greek_index(m: re.Match) -> str:
    base, greek, word = m.groups()
    index = greek or (word if len(word) == 1 or word.isdigit() else rf"\text{{{word}}}")
    return rf"\ensuremath{{{base}_{{{index}}}}}"


# Combining accents that survive NFC on a letter with no precomposed form (x̂, ȳ, ẋ),
# as the math accents the solutions use for estimates and means.
_ACCENTS = {"\u0302": r"\hat", "\u0304": r"\bar", "\u0303": r"\tilde", "\u0307": r"\dot"}


def escape_latex(text: str, *, field: str = "text", strict: bool = True) -> str:
    r"""Return *text* as LaTeX source that prints it, and can do nothing else.

    *field* names the input in error messages (``title: character ...``).  With
    *strict* (the default) a character that pdflatex cannot typeset raises `InputError`;
    with ``strict=False`` it becomes ``?``.

    >>> print(escape_latex(r"50% of x_1 & \$5 {ok}"))
    50\% of x\_1 \& \textbackslash{}\$5 \{ok\}
    >>> print(escape_latex("μ = −2, σ² ≈ 1.73"))
    \ensuremath{\mu} = \textminus{}2, \ensuremath{\sigma^{2}} \ensuremath{\approx} 1.73
    >>> print(escape_latex("^^5cinput{/etc/passwd}"))
    \textasciicircum{}\textasciicircum{}5cinput\{/etc/passwd\}
    >>> escape_latex("层归一化", field="title")
    Traceback (most recent call last):
      ...
    derive.errors.InputError: title: character '层' (U+5C42) at position 1 cannot be typeset by pdflatex (only Latin-1 letters and common symbols can)
    >>> escape_latex("层 norm", strict=False)
    '? norm'
    """
    out = _escape_latex(text, field, strict)
    return _GREEK_INDEX.sub(_greek_index, out) if "}\\_" in out else out


def _escape_latex(text: str, field: str, strict: bool) -> str:
    """`escape_latex` before a Greek letter's underscore index is joined to it."""
    if not isinstance(text, str):
        raise TypeError(f"escape_latex() needs a str, not {type(text).__name__}")
    # NFC first: "e" + COMBINING ACUTE becomes the Latin-1 "é" that T1 can print.
    text = unicodedata.normalize("NFC", text)
    if _HAS_SCRIPT.search(text) is None:
        return _escape(text, field, strict, 0)
    out, start = [], 0
    for run in _SCRIPT_RUN.finditer(text):
        if run.start() > start:
            out.append(_escape(text[start:run.start()], field, strict, start))
        chars = run.group()
        mark = "^" if chars[0] in _SUPERSCRIPTS else "_"
        script = f"{mark}{{{''.join(_SCRIPT_CHARS[ch] for ch in chars)}}}"
        # Right after math (σ², ‖θ‖², mᵢ²) the script joins its group: a superscript then
        # sits on σ, or above the subscript, not on an empty base of its own.
        last = _LAST_MATH.search(out[-1]) if out else None
        if last is not None and mark not in last.group(1):
            out[-1] = out[-1][:last.start()] + rf"\ensuremath{{{last.group(1)}{script}}}"
        else:
            out.append(rf"\ensuremath{{{script}}}")
        start = run.end()
    out.append(_escape(text[start:], field, strict, start))
    return "".join(out)


def _decomposed(ch: str) -> tuple[str, str | None]:
    """(letter, accent) for a precomposed ASCII letter with a math accent (ẑ → z, U+0302), else
    (ch, None).  NFC composes z + U+0302 into ẑ, beyond Latin-1, so it is met here."""
    parts = unicodedata.normalize("NFD", ch)
    if len(parts) == 2 and parts[0].isascii() and parts[0].isalpha() and parts[1] in _ACCENTS:
        return parts[0], parts[1]
    return ch, None


def _escape(text: str, field: str, strict: bool, offset: int) -> str:
    """`escape_latex` of NFC text that starts at `offset` in what the caller was given."""
    if _NEEDS_LOOP.search(text) is None:
        # Every character prints as itself or has one fixed replacement (nearly all prose):
        # the loop below would map each one the same way, one str.translate does it at once.
        return _MAPPED.sub(_replace, text)
    out = []
    for position, ch in enumerate(text):
        replacement = _MAP.get(ch)
        if ch in _ACCENTS and out and len(out[-1]) == 1 and out[-1].isascii() and out[-1].isalpha():
            out[-1] = rf"\ensuremath{{{_ACCENTS[ch]}{{{out[-1]}}}}}"  # x̂ (x + U+0302) → \hat{x}
        elif replacement is not None:
            out.append(replacement)
        elif " " <= ch <= "~" or "\u00a0" <= ch <= "\u00ff":
            out.append(ch)  # printable ASCII (specials handled above) and Latin-1
        else:
            category = unicodedata.category(ch)
            if category in ("Cc", "Cf"):
                continue  # controls, bidi overrides, zero-width and other invisibles
            letter, accent = _decomposed(ch)
            if category == "Zs":
                out.append(" ")
            elif accent is not None:
                out.append(rf"\ensuremath{{{_ACCENTS[accent]}{{{letter}}}}}")  # ẑ, ŷ: as x̂ above
            elif strict:
                shown = f"{ch!r} " if ch.isprintable() else ""
                raise InputError(
                    field,
                    f"character {shown}(U+{ord(ch):04X}) at position {offset + position + 1} cannot"
                    " be typeset by pdflatex (only Latin-1 letters and common symbols can)",
                )
            else:
                out.append("?")
    return "".join(out)


# The fast path of escape_latex: characters outside this set (accents, invisibles,
# characters to refuse) need the loop; the others are replaced by one regex pass.
_MAPPED = re.compile("[" + "".join(re.escape(ch) for ch in _MAP) + "]")
_NEEDS_LOOP = re.compile("[^ -~\u00a0-\u00ff" + "".join(re.escape(ch) for ch in _MAP if ch not in _ACCENTS) + "]")


def _replace(match) -> str:
    return _MAP[match.group()]


def latex_escape(value: object, field: str = "text", strict: bool = True) -> str:
    r"""`escape_latex` as a Jinja2 filter: ``env.filters["tex"] = latex_escape``.

    Takes any value a template may hold (an ``int``, a ``Fraction``, a name) and escapes
    its ``str()``.  ``None`` is refused: printing "None" into a worksheet is a bug.

    >>> latex_escape(3)
    '3'
    >>> latex_escape("A & B", "title")
    'A \\& B'
    """
    if value is None:
        raise TypeError(f"{field}: None reached a LaTeX template")
    return escape_latex(str(value), field=field, strict=strict)


# Engine prose (explanations, notes, the words inside relations) repeats across renders,
# and escaping is pure: its results are kept (bounded; an error is raised afresh each time).
escape_latex_kept = lru_cache(maxsize=4096)(escape_latex)


# ---------------------------------------------------------------------------------
# Formulas in derive's own prose (n·K > C, 1 − p, σ², mᵢ): LaTeX math, not escaped text.

# ASCII that means the same in math; the rest of ASCII (\ { } $ & # % _ ^ ~) never appears
# in a formula derive writes, and is refused rather than given a meaning.
_MATH_ASCII = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 +-=/()[],.:;<>!'*|")
_MATH_EXTRA = {"\u2212": "-", "\u03a3": r"\sum", "\u2026": r"\dots", "\u2016": r"\|", "\u230a": r"\lfloor",
               "\u230b": r"\rfloor", "\u2308": r"\lceil", "\u2309": r"\rceil"}
_FORMULA_PIECES = re.compile(f"[{''.join(_SUPERSCRIPTS)}]+|[{''.join(_SUBSCRIPTS)}]+|_[A-Za-z]{{2,}}|_.|[A-Za-z]{{2,}}|.",
                             re.S)
# Words that name an operator, set upright as the steps set them (det M, not d·e·t·M).
_OPERATORS = {"det": r"\det", "lim": r"\lim", "exp": r"\exp", "log": r"\log", "adj": r"\operatorname{adj}",
              "argmin": r"\operatorname{argmin}", "CE": r"\operatorname{CE}", "MSE": r"\operatorname{MSE}"}
_ENDS_IN_COMMAND = re.compile(r"\\[A-Za-z]+\Z")
# A formula that is its own LaTeX: digits, single letters, and signs that mean the same in math.
_PLAIN_FORMULA = re.compile(r"(?:[0-9 +=/().,:;<>!'|\[\]-]|(?<![A-Za-z])[A-Za-z](?![A-Za-z]))*")
_ROOT = re.compile(r"√(?:\(([^()]*(?:\([^()]*\)[^()]*)*)\)|(\d+|[^\W\d_]))")


@lru_cache(maxsize=1024)
def math_latex(formula: str) -> str:
    """A formula derive writes in its prose, in Unicode as its plain text shows it, as LaTeX
    math (without the math delimiters): `n·K > C` → `n \\cdot K > C`, `σ²` → `\\sigma^{2}`,
    `x̂ᵢ` → `\\hat{x}_{i}`.  Never for user text: a character with no meaning here is an error
    in derive (ValueError), not something to escape.

    >>> print(math_latex("N/(N − 1)·σ²"))
    N/(N - 1)\\cdot\\sigma^{2}
    """
    if _PLAIN_FORMULA.fullmatch(formula):  # most: n = 4, p = 3/4, > C = 66756
        return formula
    text = unicodedata.normalize("NFC", formula)
    root = _ROOT.search(text)
    if root is not None:  # √(σ² + ε), √0, √ε: a radical over its argument, as the steps set it
        inner = root.group(1) if root.group(1) is not None else root.group(2)
        return (math_latex(text[:root.start()]) + rf"\sqrt{{{math_latex(inner)}}}"
                + ("" if root.end() == len(text) else math_latex(text[root.end():])))
    out: list[str] = []
    for piece in _FORMULA_PIECES.finditer(text):
        chars = piece.group()
        if chars[0] in _SCRIPT_CHARS:
            mark = "^" if chars[0] in _SUPERSCRIPTS else "_"
            out.append(f"{mark}{{{''.join(_SCRIPT_CHARS[ch] for ch in chars)}}}")
        elif chars in _MATH_ASCII:
            out.append("^{*}" if chars == "*" else chars)  # θ*, n*: a star is a superscript here
        elif chars[0] == "_":  # θ_λ, θ_sep: an index, a word of it upright
            index = chars[1:]
            if not index.strip():
                raise ValueError(f"math_latex: an underscore with no index in {formula!r}")
            out.append(rf"_{{\text{{{index}}}}}" if len(index) > 1 else f"_{{{math_latex(index)}}}")
        elif chars[0].isascii() and chars.isalpha():  # a word: an operator, else a product of letters
            out.append(_OPERATORS.get(chars, chars))
        elif chars in _MATH_EXTRA or chars in _MATH:
            out.append(_MATH_EXTRA.get(chars) or _MATH[chars])
        elif chars in _ACCENTS and out and len(out[-1]) == 1 and out[-1].isalpha():
            out[-1] = rf"{_ACCENTS[chars]}{{{out[-1]}}}"  # x̂: x + U+0302, no precomposed form
        else:
            letter, accent = _decomposed(chars)  # ẑ, ŷ
            if accent is None:
                raise ValueError(f"math_latex: no math for {chars!r} in {formula!r}")
            out.append(rf"{_ACCENTS[accent]}{{{letter}}}")
    joined = ""
    for piece in out:
        joined = math_joined(joined, piece)
    return joined


def math_joined(left: str, right: str) -> str:
    """Two pieces of math LaTeX side by side: a command's name ends at the first non-letter,
    so `\\cdot` and `K` join as `\\cdot K`, not `\\cdotK`."""
    return f"{left} {right}" if right[:1].isalpha() and _ENDS_IN_COMMAND.search(left) else left + right
