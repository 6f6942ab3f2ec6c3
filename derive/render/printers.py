"""Text and LaTeX printers for exact values and display forms.

Following SymPy's design, printing lives outside the math classes: each printer is a
SymPy `Printer` subclass with one `_print_<Class>` method per type (Surd, Fraction,
the `derive.forms` nodes, and any SymPy expression through the parent class).
Long vectors are elided (first few, …, last) so a 64×768 step stays readable.

A variant prints about a thousand nodes, so the LaTeX printer's hot paths are written
for it: each type's method is found once (no MRO walk per node), the commonest nodes
(symbols, ints, Fractions) are printed without a method call, and the text of recent
numbers is kept by value (turning big ints into decimal digits is the costly part).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from sympy import Add as SymPyAdd, Integer, Mul, Rational, Symbol
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import precedence as sympy_precedence
from sympy.printing.str import StrPrinter

from .. import forms as F
from ..exact import Surd, exact_str
from ..memo import keep
from .escape import escape_latex_kept

__all__ = ["Dec", "TextPrinter", "DeriveLatexPrinter", "text", "latex", "sympy_str", "integer_multiple", "vector_latex", "matrix_latex", "ELIDE_AFTER"]

SYMPY_TEXTS_KEPT = 4096  # printed SymPy expressions remembered per printer
NUMBER_TEXTS_KEPT = 4096  # LaTeX of recent Fractions and Surds, by value
ELIDE_AFTER = 12  # vectors and sums longer than this show their first entries, …, the last

ATOM, POW, MUL, NEG, ADD = 4, 3, 2, 1.5, 1


class Dec:
    """A decimal shown after ≈, rounded only when printed.

    Printers elide long vectors, so rounding lazily keeps a 64×768 answer's text as
    cheap as the dozen entries it actually shows.
    """

    __slots__ = ("_value", "_fmt", "_text")

    def __init__(self, value, fmt=None):
        self._value, self._fmt, self._text = value, fmt, None if fmt is not None else value

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self._fmt(self._value)
        return self._text

    def __repr__(self):
        return f"Dec({self.text!r})"


def _prec(x, latex: bool) -> float:
    """How tightly x binds, for deciding parentheses (higher binds tighter)."""
    kind = type(x)
    if kind is Fraction:  # the common cases first, by exact type
        return NEG if x.numerator < 0 else ATOM if (latex or x.denominator == 1) else MUL
    if kind is F.Sym:
        return ATOM
    if isinstance(x, bool):
        return ATOM
    if isinstance(x, int):
        return NEG if x < 0 else ATOM
    if isinstance(x, Fraction):
        if x.numerator < 0:
            return NEG
        return ATOM if (x.denominator == 1 or latex) else MUL
    if isinstance(x, Dec):
        return NEG if x.text.startswith("-") else ATOM
    if isinstance(x, Surd):
        cn = x.c.numerator
        if cn == 0:
            return _prec(x.b, latex)
        if x.b.numerator != 0:
            return ADD
        if cn < 0:
            return NEG
        return ATOM if latex or (cn == 1 and x.c.denominator == 1) else MUL
    if isinstance(x, (F.Add, F.Sub)):
        return ADD
    if isinstance(x, F.Mul):
        return MUL
    if isinstance(x, F.Div):
        return ATOM if latex else MUL
    if isinstance(x, F.Pow):
        return POW
    if hasattr(x, "is_Number"):  # SymPy
        if x.is_Number and x.is_negative:
            return NEG
        p = sympy_precedence(x)
        return ATOM if p >= 1000 else POW if p >= 60 else MUL if p >= 50 else ADD
    return ATOM


def _is_negative(x) -> bool:
    if isinstance(x, Fraction):
        return x.numerator < 0
    if isinstance(x, int) and not isinstance(x, bool):
        return x < 0
    if isinstance(x, Surd):
        return (x.b.numerator < 0) if x.b.numerator != 0 else (x.c.numerator < 0)
    if isinstance(x, Dec):
        return x.text.startswith("-")
    return False


def _led_by_negative(x) -> bool:
    """Whether a product form's leftmost factor is a negative number."""
    while type(x) is F.Mul:
        x = x.left
    kind = type(x)
    if kind is int:  # the commonest, without `_is_negative`'s tests
        return x < 0
    if kind is Fraction:
        return x._numerator < 0
    return _is_negative(x)


def _built_up(x) -> bool:
    """Whether x prints in LaTeX as a fraction or a root, which a power's base shows in
    parentheses, as a negative one already is: \\left(\\frac{7}{3}\\right)^{2}, not
    \\frac{7}{3}^{2} (whose exponent reads as the denominator's) beside
    \\left(-\\frac{11}{3}\\right)^{2} in the same variance sum."""
    kind = type(x)
    if kind is Fraction:
        return x.denominator != 1
    if kind is Surd:
        return x.c.numerator != 0 or x.b.denominator != 1
    return kind is F.Div or kind is F.Sqrt


def _negate(x):
    if isinstance(x, Dec):
        return Dec(x.text[1:])
    return -x


class _FormsMixin:
    """The printing rules shared by text and LaTeX; subclasses supply the symbols.

    `_node` is the dispatcher the rules call: SymPy's `_print` takes `**kwargs`, which
    costs a fresh dict per call, and its options only matter inside SymPy's own trees.
    """

    latex_mode = False
    # Types whose binding never depends on their value (the rest: `_prec`).
    _precedence: dict = {F.Sym: ATOM, F.Add: ADD, F.Sub: ADD, F.Mul: MUL, F.Pow: POW, bool: ATOM,
                         F.Vec: ATOM, F.Mat: ATOM, F.Call: ATOM, F.Words: ATOM, F.Sqrt: ATOM}

    def doprint(self, expr):
        # SymPy's doprint is `str(self._print(expr))` (LaTeX in its default 'plain' mode).
        return self._node(expr)

    def _print(self, expr, **kwargs):
        """SymPy's entry point; its own methods pass options (exp=...) down SymPy trees."""
        return self._print_with(expr, kwargs) if kwargs else self._node(expr)

    def _node(self, expr) -> str:
        """expr printed by the method for its exact type, found once and kept."""
        method = self._dispatch.get(type(expr))
        if method is None:
            method = self._dispatch[type(expr)] = self._method_for(type(expr))
        return method(self, expr)

    def _method_for(self, kind):
        """The method for a type not seen yet: SymPy's route for SymPy's types and for objects
        that print themselves (`printmethod`); else the `_print_<Class>` of the nearest class in
        its MRO, ours or SymPy's — what SymPy's `_print` finds, without its walk on every call
        (model-size's `Label`, a `Words`, is printed ~20 times per solution)."""
        if kind.__module__.startswith("sympy"):
            return _FormsMixin._print_sympy
        if self.printmethod and hasattr(kind, self.printmethod):
            return _FormsMixin._print_by_sympy
        for cls in kind.__mro__:
            method = getattr(type(self), f"_print_{cls.__name__}", None)
            if method is not None:
                return method
        return _FormsMixin._print_by_sympy

    def _print_with(self, expr, kwargs):
        method = self._dispatch.get(type(expr)) or self._method_for(type(expr))
        if method is _FormsMixin._print_sympy or method is _FormsMixin._print_by_sympy:
            return super()._print(expr, **kwargs)
        return method(self, expr)

    def _print_by_sympy(self, expr):
        """Types with no method of their own (`_Lambda`, a Symbol subclass): SymPy finds one."""
        return super()._print(expr)

    def _print_sympy(self, expr) -> str:
        """SymPy's printers are slow and the same expressions (`1 - p`) recur in every
        solution of a kind; SymPy objects are immutable, so their text can be kept."""
        key = (type(expr), expr)
        text = self._sympy_texts.get(key)
        if text is None:
            text = keep(self._sympy_texts, key, self._by_shape(expr), SYMPY_TEXTS_KEPT)
        return text

    def _by_shape(self, expr) -> str:
        """SymPy's text of expr, from the text of its shape when its only new numbers are
        integer coefficients: model-size's K·n, dropout's E[y_drop] = K − K·p and Var[y_corr]
        = K·p/(1 − p) have a new K in most variants, and SymPy's printer takes 0.1-0.3 ms for
        each (see `CoefficientShape`)."""
        shape = CoefficientShape.of(expr)
        if shape is None:
            return super()._print(expr)
        template = self._shape_texts.get(shape.key, _UNKNOWN)
        if template is _UNKNOWN:
            template = keep(self._shape_texts, shape.key, self._template(shape), SYMPY_TEXTS_KEPT)
        return super()._print(expr) if template is None else template.fill(shape.coefficients)

    def _template(self, shape: CoefficientShape) -> _Template | None:
        """The text of the shape with stand-in coefficients, cut where they are printed;
        None (SymPy prints each) unless the text made from a second set of stand-ins is
        what SymPy prints for them too."""
        first, second = (shape.standing_in(s) for s in _STAND_INS)
        template = _Template.of(super()._print(first), _STAND_INS[0][: len(shape.coefficients)])
        if template is None or template.fill(_STAND_INS[1]) != super()._print(second):
            return None
        return template

    def _p(self, x, min_prec: float) -> str:
        """x printed, in parentheses when it binds less tightly than min_prec."""
        s = self._node(x)
        return self._paren(s) if self._binding(x) < min_prec else s

    def _binding(self, x) -> float:
        """How tightly x binds as this printer prints it."""
        prec = self._precedence.get(type(x))
        return _prec(x, self.latex_mode) if prec is None else prec

    def _elide(self, items) -> tuple:
        """(the entries shown before the dots, the last entry), or (items, None) when all are shown."""
        if len(items) > ELIDE_AFTER:
            return items[: ELIDE_AFTER - 2], items[-1]
        return items, None

    def _entries(self, items, sep: str = ", ") -> str:
        return sep.join([self._node(v) for v in items])

    def _print_bool(self, x):
        return str(x)

    def _print_Dec(self, x):
        return x.text

    def _print_Words(self, x):
        return self._words(x.text)

    def _print_Undefined(self, x):
        return self._words("undefined")

    # SymPy's Add, Mul and Pow and the forms' share these names; a printer's dispatch table
    # sends the forms' straight to `_print_form_<Name>` (~270 such nodes a variant).

    def _print_Add(self, x):
        if not isinstance(x, F.Add):  # a SymPy Add
            return super()._print_Add(x)
        return self._print_form_Add(x)

    def _print_form_Add(self, x):
        terms = x.terms
        head, last = (terms, None) if len(terms) <= ELIDE_AFTER else self._elide(terms)
        if not head:
            return ""
        # Nothing binds more loosely than a sum, so its first term never needs parentheses.
        text = self._node(head[0]) + "".join([self._term(t) for t in head[1:]])
        return text if last is None else f"{text} + {self._dots}{self._term(last)}"

    def _term(self, t) -> str:
        """` + t` after the first term of a sum, or ` - |t|` when t is a negative number;
        a product led by a negative number keeps it in parentheses, ` + (-1) · 3`, as a
        dot product's terms wᵢ·xᵢ are written (not ` + -1 · 3`)."""
        if _is_negative(t):
            negated = _negate(t)
            if _prec(negated, self.latex_mode) > ADD:
                return " - " + self._node(negated)
        elif type(t) is F.Mul and _led_by_negative(t):
            return " + " + self._product_led_in_parentheses(t)
        return " + " + self._p(t, NEG)

    def _product_led_in_parentheses(self, x) -> str:
        left = x.left
        first = (self._product_led_in_parentheses(left) if type(left) is F.Mul
                 else self._paren(self._node(left)))
        return first + self._ops[x.op] + self._p(x.right, MUL + 0.1)

    def _print_Sub(self, x):
        return f"{self._p(x.left, ADD)} - {self._p(x.right, MUL)}"

    def _print_Mul(self, x):
        if not isinstance(x, F.Mul):
            return super()._print_Mul(x)
        return self._print_form_Mul(x)

    def _print_form_Mul(self, x):
        return self._p(x.left, NEG) + self._ops[x.op] + self._p(x.right, MUL + 0.1)

    def _print_Vec(self, x):
        head, last = self._elide(x.items)
        body = self._entries(head)
        if last is not None:
            body += f", {self._dots}, {self._node(last)}"
        return f"{self._open('[')}{body}{self._close(']')}"

    def _print_Sym(self, x):
        return x.latex if self.latex_mode else x.text

    def _print_Call(self, x):
        return f"{self._node(x.func)}{self._open(x.brackets[0])}{self._entries(x.args)}{self._close(x.brackets[1])}"


class TextPrinter(_FormsMixin, StrPrinter):
    """Plain text for terminals: `-1 - 2√3/3`, `[-1, -5/3, 0, 20/3]`, `(1 + 1 + 1 + 5)/4`."""

    _dispatch: dict = {}
    _sympy_texts: dict = {}
    _shape_texts: dict = {}  # CoefficientShape key → _Template, or None
    _precedence = {**_FormsMixin._precedence, F.Div: MUL}
    _dots = "…"
    _ops = {"dot": " · ", "hadamard": " ⊙ ", "times": " × ", "juxtapose": " "}

    def _paren(self, s):
        return f"({s})"

    def _open(self, b):
        return b

    def _close(self, b):
        return b

    def _words(self, s):
        return s

    def _print_int(self, x):
        return str(x)

    def _print_Fraction(self, x):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"

    def _print_Surd(self, x):
        return exact_str(x).replace("*sqrt(", "√(").replace("sqrt(", "√(").replace(f"√({x.r})", f"√{x.r}")

    def _print_Div(self, x):
        num = self._p(x.num, MUL)
        if "/" in num and self._binding(x.num) == MUL:  # (3/4)/(1/4), not 3/4/(1/4)
            num = self._paren(num)
        return f"{num}/{self._p(x.den, ATOM)}"

    def _print_Sqrt(self, x):
        a = x.arg
        plain = isinstance(a, int) and a >= 0 or isinstance(a, Fraction) and a >= 0 and a.denominator == 1
        return f"√{self._node(a)}" if plain else f"√({self._node(a)})"

    def _print_Pow(self, x):
        if not isinstance(x, F.Pow):
            return self._sympy_power(x)
        base = self._p(x.base, ATOM)
        return base + F.superscript(x.exp) if type(x.exp) is int else f"{base}^{self._p(x.exp, ATOM)}"

    def _sympy_power(self, x) -> str:
        """A SymPy power as the steps write one, λ², λ⁻² and √2, not SymPy's λ**2, λ**(-2) and sqrt(2)."""
        exp = x.exp
        if exp.is_Integer and exp != 1 and exp != -1:  # SymPy writes x**(-1) as 1/x
            return self.parenthesize(x.base, sympy_precedence(x), strict=False) + F.superscript(int(exp))
        if exp == _HALF:
            base = self._print(x.base)
            return f"√{base}" if x.base.is_Symbol or x.base.is_Integer and x.base >= 0 else f"√({base})"
        return super()._print_Pow(x)

    def _print_Mul(self, x):
        text = super()._print_Mul(x)
        return text if isinstance(x, F.Mul) else _implicit_products(text)

    def _print_Mat(self, x):
        rows = [self._print_Vec(F.Vec(r)) for r in x.rows]
        return "[" + ",\n ".join(rows) + "]"


_HALF = Rational(1, 2)
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"
# SymPy's text joins a product's factors with `*`, each factor printed already (so with no
# `*` of its own left but a power's `**`): the `*` between them, and what stands either side.
_STAR = re.compile(r"(?<!\*)\*(?!\*)")
_LEFT_NUMBER = re.compile(r"(?<![\w.√])\d+(?:\.\d+)?$")
_LEFT_LETTER = re.compile(rf"(?<![\w.])[^\W\d_{_SUPERSCRIPTS}][{_SUPERSCRIPTS}]*$")
_LEFT_GROUP = re.compile(rf"\)[{_SUPERSCRIPTS}]*$")
_RIGHT_LETTER = re.compile(rf"[^\W\d_{_SUPERSCRIPTS}](?![^\W{_SUPERSCRIPTS}])")


def _implicit_products(text: str) -> str:
    """SymPy's product text as a worksheet writes a product: factors side by side where that
    reads unambiguously (4λ, 3λ/2, p(1 - p), (λ + 1)(λ + 3), 2√3), else ` · ` between them
    (2 · exp(p), √2 · x); the LaTeX printer sets the same factors side by side."""
    if "*" not in text:
        return text
    return _STAR.sub(lambda m: _product_sign(text[: m.start()], text[m.end():]), text)


def _product_sign(left: str, right: str) -> str:
    opens = right[:1] == "("
    if _LEFT_NUMBER.search(left):
        side_by_side = opens or right[:1] == "√" or _RIGHT_LETTER.match(right)
    elif _LEFT_LETTER.search(left):
        side_by_side = opens or _RIGHT_LETTER.match(right)
    else:
        side_by_side = opens and _LEFT_GROUP.search(left)
    return "" if side_by_side else " · "


class DeriveLatexPrinter(_FormsMixin, LatexPrinter):
    """LaTeX for the same values: `-1 - \\frac{2 \\sqrt{3}}{3}`, bmatrix for matrices."""

    latex_mode = True
    _dispatch: dict = {}
    _sympy_texts: dict = {}
    _shape_texts: dict = {}  # CoefficientShape key → _Template, or None
    _precedence = {**_FormsMixin._precedence, F.Div: ATOM}
    _dots = r"\dots"
    _ops = {"dot": r" \cdot ", "hadamard": r" \odot ", "times": r" \times ", "juxtapose": r" \, "}
    _opening = {"(": r"\left(", "[": r"\left[", "{": r"\left\{", "⌊": r"\left\lfloor ", "⌈": r"\left\lceil "}
    _closing = {")": r"\right)", "]": r"\right]", "}": r"\right\}", "⌋": r"\right\rfloor", "⌉": r"\right\rceil"}

    def _node(self, expr) -> str:
        # Symbols and numbers are most of the nodes: printed here, without a method call.
        kind = type(expr)
        if kind is F.Sym:
            return expr.latex
        if kind is Fraction:
            return _fraction_latex(expr)
        if kind is int:
            return str(expr)
        if kind is Surd:
            return _surd_latex(expr)
        method = self._dispatch.get(kind)
        if method is None:
            method = self._dispatch[kind] = self._method_for(kind)
        return method(self, expr)

    def _number(self, x) -> tuple[str, float] | None:
        """An exact number's LaTeX and how it binds, read off its parts (no `_prec`): a
        rational, or a surd with no rational part, is an atom unless printed with its sign;
        a surd with both parts binds as a sum.  None for anything else."""
        kind = type(x)
        if kind is int or kind is Fraction:
            s = _fraction_latex(x) if kind is Fraction else str(x)
            return s, NEG if s[0] == "-" else ATOM
        if kind is Surd:
            s = _surd_latex(x)
            return s, ADD if x.b.numerator and x.c.numerator else NEG if s[0] == "-" else ATOM
        return None

    def _p(self, x, min_prec: float) -> str:
        kind = type(x)
        prec = self._precedence.get(kind)
        if prec is not None:  # a form, or a symbol
            s = self._node(x)
        elif kind is Fraction or kind is int:  # the commonest operands: `_number` without its call
            s = _fraction_latex(x) if kind is Fraction else str(x)
            prec = NEG if s[0] == "-" else ATOM
        else:
            number = self._number(x)
            if number is None:
                return super()._p(x, min_prec)
            s, prec = number
        return rf"\left({s}\right)" if prec < min_prec else s

    def _paren(self, s):
        return rf"\left({s}\right)"

    def _open(self, b):
        return self._opening[b]

    def _close(self, b):
        return self._closing[b]

    def _words(self, s):
        return rf"\text{{{escape_latex_kept(s)}}}"

    def _print_Call(self, x):
        # The mixin's layout with the brackets looked up here (`_open` and `_close` cost a call each).
        brackets = x.brackets
        return f"{self._node(x.func)}{self._opening[brackets[0]]}{self._entries(x.args)}{self._closing[brackets[1]]}"

    def _print_int(self, x):
        return str(x)

    def _print_Fraction(self, x):
        return _fraction_latex(x)

    def _print_Surd(self, x):
        return _surd_latex(x)

    def _print_Vec(self, x):
        items = x.items
        if len(items) > ELIDE_AFTER:
            return super()._print_Vec(x)
        return rf"\left[{self._entries(items)}\right]"  # the mixin's layout, without its calls

    def _entries(self, items, sep: str = ", ") -> str:
        node = self._node
        # Rationals and surds, most entries, without `_node`'s call.
        return sep.join([_fraction_latex(v) if type(v) is Fraction else _surd_latex(v) if type(v) is Surd else node(v)
                         for v in items])

    def _term(self, t) -> str:
        # The mixin's rule read off the number's text rather than by negating it: a number
        # printed with its sign binds as an atom, so `- |t|` is its text without the sign;
        # a surd with both parts binds as a sum and keeps its parentheses.  A form (a type
        # with a fixed precedence) is never negative: ` + ` and the form (a product led by a
        # negative number with it in parentheses, as the mixin's rule).
        kind = type(t)
        prec = self._precedence.get(kind)
        if prec is not None:  # `_p(t, NEG)` without its call
            s = self._node(t)
            if s[:1] == "-" and kind is F.Mul and _led_by_negative(t):  # its text's sign first: cheap
                return " + " + self._product_led_in_parentheses(t)
            return rf" + \left({s}\right)" if prec < NEG else " + " + s
        if kind is Fraction or kind is int:  # the commonest terms: `_number` without its call
            s = _fraction_latex(t) if kind is Fraction else str(t)
            return " - " + s[1:] if s[0] == "-" else " + " + s
        number = self._number(t)
        if number is None:
            return super()._term(t)
        s, prec = number
        if prec == ADD:
            return rf" + \left({s}\right)"
        return " - " + s[1:] if s[0] == "-" else " + " + s

    def _print_Div(self, x):
        return rf"\frac{{{self._in_fraction(x.num)}}}{{{self._in_fraction(x.den)}}}"

    def _in_fraction(self, x) -> str:
        """A fraction's numerator or denominator; a rational one inline, 3/4, so that
        p/(1 − p) at p = 3/4 reads \frac{3/4}{1/4} rather than a fraction of small fractions."""
        if type(x) is Fraction and x._denominator != 1:
            return f"{x._numerator}/{x._denominator}"
        if getattr(x, "is_Rational", False) and not x.is_Integer:  # SymPy's, as dropout's p
            return f"{x.p}/{x.q}"
        return self._node(x)

    def _print_form_Pow(self, x):
        base = x.base
        return f"{self._p(base, ATOM + 1 if _built_up(base) else ATOM)}^{{{self._node(x.exp)}}}"

    def _print_Sqrt(self, x):
        return rf"\sqrt{{{self._node(x.arg)}}}"

    def _print_Pow(self, x):
        if not isinstance(x, F.Pow):
            return super()._print_Pow(x)
        return self._print_form_Pow(x)

    def _print_Mat(self, x):
        rows = x.rows
        if len(rows) > ELIDE_AFTER:
            rows = list(rows[: ELIDE_AFTER - 2]) + [None] + [rows[-1]]
        lines = []
        for r in rows:
            if r is None:
                lines.append(r"\vdots")
                continue
            head, last = self._elide(r)
            line = self._entries(head, " & ")
            lines.append(line if last is None else rf"{line} & \cdots & {self._node(last)}")
        return _bmatrix(lines)


DeriveLatexPrinter._dispatch.update({F.Add: _FormsMixin._print_form_Add, F.Mul: _FormsMixin._print_form_Mul,
                                     F.Pow: DeriveLatexPrinter._print_form_Pow})


def integer_multiple(expr):
    """(K, s) when expr is SymPy's K·s, a whole number K ≥ 2 times a plain Symbol whose name
    starts with a letter; else None.  Model-size's activations in the batch size n are such products
    with a new K in most variants, and SymPy's general product printer takes ~0.3 ms to print
    one; printing it as K, a separator and s gives SymPy's text (tested against it)."""
    if type(expr) is not Mul:
        return None
    args = expr.args
    if len(args) != 2:
        return None
    k, symbol = args
    if k.is_Integer and k > 1 and type(symbol) is Symbol and symbol.name[:1].isalpha():
        return int(k), symbol
    return None


# Coefficients' stand-ins while a shape is printed: primes whose digits nothing else in
# these shapes prints; the second set, in the other order of size, checks the first's text.
_STAND_INS = ((7919, 7907, 7901, 7883), (6977, 6983, 6991, 6997))
_UNKNOWN = object()  # a shape not printed yet (None: a shape SymPy prints each time)


@dataclass(frozen=True)
class CoefficientShape:
    """A SymPy Integer, Mul or Add with its integer coefficients of magnitude ≥ 2 cut out.

    `key` is the expression's terms with each such coefficient replaced by its sign (SymPy
    orders `1 - p` and `p + 1` by the signs), `coefficients` their magnitudes in order.  SymPy
    prints such a coefficient as its digits, so two expressions with one key print alike
    but for those digits (the printers' `_template` checks it for each key).
    """

    key: tuple  # (type, terms): a term is (negative, the factors after the coefficient) or (None, term)
    coefficients: tuple[int, ...]

    @classmethod
    def of(cls, expr) -> CoefficientShape | None:
        kind = type(expr)
        if kind is not SymPyAdd and kind is not Mul and kind is not Integer:
            return None
        terms, coefficients = [], []
        for term in expr.args if kind is SymPyAdd else (expr,):
            cut = _coefficient(term)
            if cut is None:
                terms.append((None, term))
            else:
                terms.append(cut[:2])
                coefficients.append(cut[2])
        if not coefficients or len(coefficients) > len(_STAND_INS[0]):
            return None
        if kind is SymPyAdd and not _ordered_by_symbols(expr.args):
            return None
        return cls((kind, tuple(terms)), tuple(coefficients))

    def standing_in(self, stand_ins) -> object:
        """The expression of this shape with these coefficients (SymPy's own arguments kept:
        `_from_args` builds it as it is, where `Mul(2, 1 - p)` would expand)."""
        kind, terms = self.key
        values = iter(stand_ins)
        built = [term if negative is None else _with_coefficient(-next(values) if negative else next(values), term)
                 for negative, term in terms]
        return SymPyAdd._from_args(tuple(built)) if kind is SymPyAdd else built[0]


def _coefficient(term) -> tuple[bool, tuple, int] | None:
    """(negative, the factors after it, magnitude) of the integer coefficient of an Integer
    or a Mul, when its magnitude is ≥ 2 (SymPy prints ±1 as a sign or not at all)."""
    if term.is_Integer:
        c, rest = term.p, ()
    elif type(term) is Mul and term.args[0].is_Integer:
        c, rest = term.args[0].p, term.args[1:]
    else:
        return None
    return (c < 0, rest, -c if c < 0 else c) if c >= 2 or c <= -2 else None


def _ordered_by_symbols(terms) -> bool:
    """Whether SymPy orders these terms of a sum by their symbols alone: it orders by the
    powers of the symbols and numbers such as √2 count as part of the coefficient, so
    `7919·√2 + 9000` and `2·√2 + 9000` print in different orders.  True when no term but its
    leading rational is a number and at most one term is a number alone."""
    numbers = 0
    for term in terms:
        rest = term.as_coeff_Mul()[1]
        if rest.is_number:
            numbers += 1
        elif any(factor.is_number for factor in Mul.make_args(rest)):
            return False
    return numbers <= 1


def _with_coefficient(c: int, rest: tuple):
    return Integer(c) if not rest else Mul._from_args((Integer(c), *rest))


@dataclass(frozen=True)
class _Template:
    """A text cut where its coefficients are printed."""

    pieces: tuple[str, ...]  # the text around the coefficients
    order: tuple[int, ...]  # the coefficient printed in each cut

    @classmethod
    def of(cls, text: str, stand_ins) -> _Template | None:
        """The text cut at the stand-ins' digits; None unless each is printed exactly once."""
        digits = [str(s) for s in stand_ins]
        if any(text.count(d) != 1 for d in digits):
            return None
        pieces, start, order = [], 0, []
        for at, i in sorted((text.index(d), i) for i, d in enumerate(digits)):
            pieces.append(text[start:at])
            order.append(i)
            start = at + len(digits[i])
        pieces.append(text[start:])
        return cls(tuple(pieces), tuple(order))

    def fill(self, coefficients) -> str:
        out = [self.pieces[0]]
        for i, piece in zip(self.order, self.pieces[1:]):
            out += (str(coefficients[i]), piece)
        return "".join(out)


def sympy_str(expr) -> str:
    """str(expr), SymPy-parsable; an `integer_multiple` without SymPy's printer."""
    multiple = integer_multiple(expr)
    return str(expr) if multiple is None else f"{multiple[0]}*{multiple[1].name}"


_NUMBER_TEXTS: dict = {}  # (numerator, denominator) or the parts of a Surd → LaTeX


def _fraction_latex(x: Fraction) -> str:
    # Read from its slots: as_integer_ratio() and the numerator and denominator properties are
    # Python methods in CPython's fractions module, and this runs ~400 times a variant.
    key = (x._numerator, x._denominator)
    text = _NUMBER_TEXTS.get(key)
    if text is None:
        text = keep(_NUMBER_TEXTS, key, _frac_text(*key), NUMBER_TEXTS_KEPT)
    return text


def _frac_text(n: int, d: int) -> str:
    """n/d in LaTeX: `3`, `\\frac{1}{3}`, `-\\frac{5}{2}`."""
    return str(n) if d == 1 else rf"-\frac{{{-n}}}{{{d}}}" if n < 0 else rf"\frac{{{n}}}{{{d}}}"


def _surd_latex(x: Surd) -> str:
    """b + c·√r: `1 - \\frac{2 \\sqrt{3}}{3}`, kept by its integers (one flat tuple: hashing
    a tuple of tuples costs more)."""
    b, c = x.b, x.c  # Fractions, read from their slots as in `_fraction_latex`
    key = (b._numerator, b._denominator, c._numerator, c._denominator, x.r)
    text = _NUMBER_TEXTS.get(key)
    if text is None:
        text = keep(_NUMBER_TEXTS, key, _surd_text(*key), NUMBER_TEXTS_KEPT)
    return text


def _surd_text(bn: int, bd: int, cn: int, cd: int, r: int) -> str:
    b_text = _frac_text(bn, bd)
    if cn == 0:
        return b_text
    coeff = "" if cn in (1, -1) else f"{abs(cn)} "
    radical = rf"{coeff}\sqrt{{{r}}}"
    if cd != 1:
        radical = rf"\frac{{{radical}}}{{{cd}}}"
    if bn == 0:
        return ("-" if cn < 0 else "") + radical
    return f"{b_text} {'-' if cn < 0 else '+'} {radical}"


def vector_latex(entries: list[str]) -> str:
    """A vector of entries printed already, laid out as `latex` lays out a short `Vec`."""
    return rf"\left[{', '.join(entries)}\right]"


def matrix_latex(rows: list[list[str]]) -> str:
    """A matrix of entries printed already, laid out as `latex` lays out a `Mat` with
    no more than ELIDE_AFTER rows and columns."""
    return _bmatrix([" & ".join(row) for row in rows])


def _bmatrix(lines: list[str]) -> str:
    return r"\begin{bmatrix}" + r" \\ ".join(lines) + r"\end{bmatrix}"


_TEXT = TextPrinter()
_LATEX = DeriveLatexPrinter()


def text(x) -> str:
    return _TEXT.doprint(x)


# What doprint does, bound once: `latex` is called for every form of every relation, and a
# wrapper function around it cost a call each.
latex = _LATEX._node
