"""Safe parser for typed answers: numbers, fractions, surds, LaTeX, vectors, matrices.

Student text never reaches ``eval``, ``sympify``, ``parse_expr``, ``ast`` or
``parse_latex`` (all of which either run code or evaluate eagerly without limits).
A hand-written tokenizer and recursive-descent parser build SymPy objects directly,
and every limit (length, tokens, nesting, digits, exponent and bit size) is checked
*before* the work it guards, so hostile input fails fast with a 0-based position.

Grammar (``sep`` is ``,``, or ``;`` with ``decimal_comma=True``)::

    answer  := list | matrix | expr
    list    := '[' (list | expr) (sep (list | expr))* ']'      -- rectangular
    matrix  := \\begin{bmatrix|pmatrix|matrix} expr ('&' expr)* ('\\\\' ...)* \\end{..}
    expr    := term (('+' | '-') term)*
    term    := factor (('*' | '/' | \\cdot | \\times) factor | implicit factor)*
    factor  := ('+' | '-')* power                     -- so -2^2 = -4
    power   := atom ('^' ('+' | '-')* atom)*          -- right-assoc, ** == ^
    atom    := number | pi | sqrt-form | \\frac{a}{b} | '(' expr ')' | '{' expr '}'

Implicit multiplication is allowed before ``sqrt``/``√``/``pi``/``(``/``\\frac``
(``4√3``, ``2pi``, ``2(1+√3)``), never between two numbers (``1 2`` is an error) and
never ``2\\frac{1}{3}``, which reads as the mixed number 2⅓.

Values are exact but only as simplified as SymPy's automatic evaluation makes them
(``(1+√3)(1-√3)`` stays a product; ``derive.verify`` compares exactly anyway).

Every scalar leaf is a :class:`Scalar` that remembers the precision its digits imply,
so a grader can accept "-1.66" as a 2-decimal answer::

    >>> a = parse_answer("[[-1, 1.50], [5/3, 4\\\\sqrt{3}]]")
    >>> a.shape
    (2, 2)
    >>> a.value
    ((-1, 3/2), (5/3, 4*sqrt(3)))
    >>> [(s.decimals, s.sigfigs) for s in a.flat]
    [(None, None), (2, 3), (None, None), (None, None)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple, Union

import sympy
from sympy import Integer, Rational, S

from .errors import AnswerSyntaxError

__all__ = ["Answer", "Scalar", "Limits", "DEFAULT_LIMITS", "parse_answer"]


@dataclass(frozen=True)
class Limits:
    """Bounds checked before the work they guard.

    The defaults are generous for anything typed by hand (a 10,000-entry matrix of
    decimals parses in ~0.2 s, the worst case the defaults allow); raise them for
    machine-written answers.
    """

    max_length: int = 100_000  # characters of input
    max_tokens: int = 50_000
    max_depth: int = 50  # nesting of ( [ { \begin and of sqrt/frac arguments
    max_digits: int = 1_000  # digits in one number literal
    max_exponent: int = 1_000  # |e| in 1e-3 and in a ^ e (numerator of e)
    max_bits: int = 100_000  # bound on the size of any intermediate value
    max_root_bits: int = 256  # radicands: SymPy factors them to pull out squares
    max_root_index: int = 12  # largest q in x^(p/q) and \sqrt[q]{x}
    max_symbolic: int = 64  # roots, pi and operations on them in one entry: SymPy's
    #                         simplification is superlinear in the number of surds
    max_entries: int = 10_000  # scalars in one answer


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Scalar:
    """One typed number: its exact value and the precision its digits imply.

    ``decimals`` is the place of the last typed digit ("-1.66" -> 2, "1e-3" -> 3,
    "2.5e2" -> -1), ``sigfigs`` the significant digits typed ("0.0150" -> 3).  Both are
    None for an exact entry (integers, fractions, surds, pi): such an entry must equal
    the exact answer.  An expression that mixes a decimal with other terms
    ("1.5*10^3", "1.5√2") keeps only ``sigfigs`` (the smallest among its decimals).
    """

    value: sympy.Expr
    text: str
    position: int
    decimals: int | None = None
    sigfigs: int | None = None

    @property
    def exact(self) -> bool:
        """True when no decimal digits were typed, so equality is required."""
        return self.decimals is None and self.sigfigs is None


Nested = Union[Scalar, tuple]


@dataclass(frozen=True)
class Answer:
    """A parsed answer: ``entries`` is a Scalar or nested tuples of them (row-major).

    ``shape`` is ``()`` for a scalar, ``(n,)`` for ``[a, b]`` and ``(rows, cols)`` for
    ``[[..],[..]]`` or a bmatrix (a one-row bmatrix is ``(1, n)``).
    """

    text: str
    entries: Nested
    shape: tuple[int, ...]

    @property
    def value(self):
        """The SymPy value(s), nested like ``entries``."""
        return _map(self.entries, lambda s: s.value)

    @property
    def flat(self) -> tuple[Scalar, ...]:
        """All scalars in row-major order."""
        out: list[Scalar] = []
        stack = [self.entries]
        while stack:
            item = stack.pop()
            if isinstance(item, Scalar):
                out.append(item)
            else:
                stack.extend(reversed(item))
        return tuple(out)


def _map(entries: Nested, fn):
    if isinstance(entries, Scalar):
        return fn(entries)
    return tuple(_map(e, fn) for e in entries)


# ---------------------------------------------------------------- tokenizer

_MINUS = "-\u2212\u2010\u2011\u2012\u2013\u2014\u2015\ufe63\uff0d"
_TIMES = "\u00d7\u00b7\u22c5\u2219\u2217"
_DIVIDE = "/\u00f7\u2215"
_SIMPLE = {"+": "+", "(": "(", ")": ")", "[": "[", "]": "]", "{": "{", "}": "}",
           "^": "^", "&": "&", "√": "sqrt", "π": "pi", ",": ",", ";": ";"}
_OPENERS = {"(": ")", "[": "]", "{": "}", "begin": "end"}
_NAMES = {"sqrt": "sqrt", "pi": "pi"}
_COMMANDS = {"frac": "frac", "dfrac": "frac", "tfrac": "frac", "sqrt": "sqrt",
             "pi": "pi", "cdot": "*", "times": "*", "ast": "*", "div": "/"}
_SPACING = {"quad", "qquad", "displaystyle", "textstyle", ",", ";", ":", "!", " "}
_ENVIRONMENTS = {"matrix", "bmatrix", "pmatrix", "smallmatrix"}


class _Num(NamedTuple):
    value: Rational
    decimals: int | None
    sigfigs: int | None
    bits: int
    plain: bool  # only digits: \frac12 may split it, as TeX does


class _Tok(NamedTuple):
    kind: str
    pos: int
    text: str
    num: _Num | None = None


def _fail(message: str, text: str, pos: int) -> AnswerSyntaxError:
    return AnswerSyntaxError(message, text, pos)


def _strip_dollars(text: str) -> str:
    """Blank out one pair of surrounding $...$ or $$...$$ (keeps positions)."""
    body = text.strip()
    for mark in ("$$", "$", "\\(", "\\["):
        close = {"\\(": "\\)", "\\[": "\\]"}.get(mark, mark)
        if len(body) >= len(mark) + len(close) and body.startswith(mark) and body.endswith(close):
            start = text.index(mark)
            end = text.rindex(close)
            return (text[:start] + " " * len(mark) + text[start + len(mark):end]
                    + " " * len(close) + text[end + len(close):])
    return text


# One compiled pattern does the scanning; Python only looks at each token once.
# [0-9] (not \d) because \d also matches other scripts' digits.
_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_NUMBER_COMMA = r"(?:[0-9]+(?:\.[0-9]*|,[0-9]+)?|[.,][0-9]+)"
_SCAN = r"""
    (?P<ws>\s+)
  | (?P<num>{number}(?:[eE][+\-\u2212]?[0-9]+)?)
  | (?P<cmd>\\(?:[A-Za-z]+|.?))
  | (?P<word>[A-Za-z]+)
  | (?P<pow>\*\*)
  | (?P<char>.)
"""
_SCANNERS = {
    False: re.compile(_SCAN.format(number=_NUMBER), re.X | re.S),
    True: re.compile(_SCAN.format(number=_NUMBER_COMMA), re.X | re.S),
}
_CHARS = {c: "-" for c in _MINUS}
_CHARS.update({c: "*" for c in "*" + _TIMES})
_CHARS.update({c: "/" for c in _DIVIDE})
_CHARS.update(_SIMPLE)
_ENVIRONMENT = re.compile(r"\s*\{([A-Za-z]*)\}")
_CLOSERS = frozenset((")", "]", "}", "end"))
_SEPARATORS = frozenset((",", ";", "&", "rowsep"))


def _tokenize(text: str, limits: Limits, decimal_comma: bool) -> list[_Tok]:
    src = _strip_dollars(text)
    toks: list[_Tok] = []
    append = toks.append
    closers = separators = 0
    max_tokens, max_depth, max_entries = limits.max_tokens, limits.max_depth, limits.max_entries
    match = _SCANNERS[decimal_comma].match
    pos, n = 0, len(src)
    while pos < n:
        m = match(src, pos)
        pos = m.end()
        group = m.lastgroup
        if group == "ws":
            continue
        i = m.start()
        if len(toks) >= max_tokens:
            raise _fail(f"too many tokens (limit {max_tokens})", text, i)
        if group == "num":
            tok = _number(m.group(), i, text, limits)
        elif group == "char":
            c = m.group()
            kind = _CHARS.get(c)
            if kind is None:
                raise _fail(f"unexpected character {c!r}", text, i)
            if kind == "," and decimal_comma:
                raise _fail("with decimal commas, separate entries with ';'", text, i)
            if kind == ";" and not decimal_comma:
                raise _fail("unexpected ';': separate entries with ','", text, i)
            tok = _Tok(kind, i, c)
        elif group == "pow":
            tok = _Tok("^", i, "**")
        elif group == "word":
            word = m.group()
            if word not in _NAMES:
                raise _fail(f"unknown name {word!r}: expected a number, sqrt(...) or pi", text, i)
            tok = _Tok(_NAMES[word], i, word)
        else:
            tok, pos = _command(src, m, text)
            if tok is None:
                continue
        kind = tok.kind
        # Nesting is checked here, in one flat pass, so the parser's recursion is bounded.
        if kind in _OPENERS:
            closers += 1
            if closers > max_depth:
                raise _fail(f"nested more than {max_depth} levels deep", text, i)
        elif kind in _CLOSERS and closers:
            closers -= 1
        elif kind in _SEPARATORS:  # a rectangular answer has one entry more than these
            separators += 1
            if separators > max_entries:
                raise _fail(f"more than {max_entries} entries", text, i)
        append(tok)
    toks.append(_Tok("eof", len(src), ""))
    return toks


def _number(s: str, i: int, text: str, limits: Limits) -> _Tok:
    if s.isdigit():  # the common case: a plain integer, exact
        if len(s) > limits.max_digits:
            raise _fail(f"number longer than {limits.max_digits} digits", text, i)
        value = Integer(int(s))
        return _Tok("num", i, s, _Num(value, None, None, max(value.p.bit_length(), 1), True))
    mantissa, exp = s, 0
    for k, c in enumerate(s):
        if c in "eE":
            mantissa, digits = s[:k], s[k + 1:].lstrip("+-\u2212")
            if len(digits) > len(str(limits.max_exponent)) or int(digits) > limits.max_exponent:
                raise _fail(f"exponent larger than {limits.max_exponent}", text, i + k)
            exp = -int(digits) if s[k + 1] in "-\u2212" else int(digits)
            break
    whole, _, frac = mantissa.replace(",", ".").partition(".")
    digits = whole + frac
    if len(digits) > limits.max_digits:
        raise _fail(f"number longer than {limits.max_digits} digits", text, i)
    shift = exp - len(frac)
    m = int(digits)
    value = Integer(m * 10**shift) if shift >= 0 else Rational(m, 10**-shift)
    bits = max(abs(value.p).bit_length(), value.q.bit_length(), 1)
    return _Tok("num", i, s, _Num(value, -shift, max(len(digits.lstrip("0")), 1), bits, False))


def _command(src: str, m: re.Match, text: str) -> tuple[_Tok | None, int]:
    """A backslash command; returns the token (None for spacing) and where to go on."""
    i, j = m.start(), m.end()
    name = m.group()[1:]
    n = len(src)
    if name == "\\":
        return _Tok("rowsep", i, "\\\\"), j
    if name in _SPACING:
        return None, j
    if name in _COMMANDS:
        return _Tok(_COMMANDS[name], i, "\\" + name), j
    if name in ("left", "right"):
        k = j
        while k < n and src[k].isspace():
            k += 1
        allowed = "([" if name == "left" else ")]"
        if k < n and src[k] in allowed:
            return _Tok(src[k], i, src[i:k + 1]), k + 1
        raise _fail(f"\\{name} must be followed by one of {' '.join(allowed)}", text, k)
    if name in ("begin", "end"):
        env = _ENVIRONMENT.match(src, j)
        if env is None or env.group(1) not in _ENVIRONMENTS:
            raise _fail(f"\\{name} must name one of {', '.join(sorted(_ENVIRONMENTS))}", text, j)
        return _Tok(name, i, env.group(1)), env.end()
    raise _fail(f"unsupported LaTeX command \\{name}", text, i)


# ---------------------------------------------------------------- parser


class _Node(NamedTuple):
    """A parsed value with a bound on its size and the precision typed into it."""

    value: sympy.Expr
    bits: int  # upper bound on the bit size of the numbers inside value
    prec: tuple | None  # None: exact; (decimals, sigfigs) otherwise
    cost: int = 0  # roots, pi and operations on irrational values inside


def _combine(a: tuple | None, b: tuple | None) -> tuple | None:
    if a is None and b is None:
        return None
    sig = [p[1] for p in (a, b) if p is not None and p[1] is not None]
    return (None, min(sig) if sig else None)


def _is_zero(value: sympy.Expr) -> bool:
    """Zero test that skips SymPy's assumption system for plain rationals (the hot path)."""
    return value.p == 0 if value.is_Rational else bool(value.is_zero)


def _size(value: sympy.Expr, bound: int) -> int:
    if value.is_Rational:  # exact size is cheap, and keeps long sums of small numbers small
        return max(abs(value.p).bit_length(), value.q.bit_length(), 1)
    return bound


class _Parser:
    def __init__(self, text: str, toks: list[_Tok], limits: Limits, sep: str):
        self.text, self.toks, self.limits, self.sep = text, toks, limits, sep
        self.i = 0
        self.depth = 0
        self.entries = 0

    # -- helpers
    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def error(self, message: str, tok: _Tok | None = None) -> AnswerSyntaxError:
        tok = tok or self.peek()
        return _fail(message, self.text, tok.pos)

    def expect(self, kind: str, what: str) -> _Tok:
        tok = self.peek()
        if tok.kind != kind:
            raise self.error(f"expected {what} but found {_describe(tok)}")
        return self.take()

    def enter(self) -> None:
        # Counts expressions and root/fraction arguments: \sqrt{..} costs two levels
        # where the tokenizer counted one brace, hence the factor 2.
        self.depth += 1
        if self.depth > 2 * self.limits.max_depth + 1:
            raise self.error(f"nested more than {self.limits.max_depth} levels deep")

    # -- top level
    def answer(self) -> Answer:
        tok = self.peek()
        if tok.kind == "[":
            entries, shape = self.list_()
        elif tok.kind == "begin":
            entries, shape = self.matrix()
        else:
            entries, shape = self.scalar(), ()
        tok = self.peek()
        if tok.kind == self.sep:
            raise self.error(f"{tok.text!r} outside [...]: write a list as [a{self.sep} b]"
                             + ("" if self.sep == ";" else " (decimals take a point)"))
        if tok.kind != "eof":
            raise self.error(f"expected an operator or the end but found {_describe(tok)}")
        return Answer(self.text, entries, shape)

    def scalar(self) -> Scalar:
        start = self.peek()
        node = self.expr()
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise self.error(f"more than {self.limits.max_entries} entries", start)
        value = node.value
        if not value.is_Rational:
            # Reals by construction (roots of non-negatives, rational powers, pi);
            # this catches a zero divisor SymPy could not see as zero up front.
            if value.has(S.ComplexInfinity, S.NaN, S.Infinity):
                raise self.error("the value is undefined (division by zero)", start)
        end = self.toks[self.i - 1]
        text = self.text[start.pos:end.pos + len(end.text)].strip()
        decimals, sigfigs = (None, None) if node.prec is None else node.prec
        return Scalar(value, text, start.pos, decimals, sigfigs)

    def list_(self):
        opener = self.take()
        items, shapes = [], []
        while True:
            tok = self.peek()
            if tok.kind == "[":
                item, shape = self.list_()
            elif tok.kind in ("]", self.sep):
                raise self.error(f"expected an entry but found {_describe(tok)}")
            else:
                item, shape = self.scalar(), ()
            if shapes and shape != shapes[0]:
                raise self.error(f"ragged: this entry has shape {shape}, the first has "
                                 f"{shapes[0]}", tok)
            items.append(item)
            shapes.append(shape)
            tok = self.take()
            if tok.kind == "]":
                return tuple(items), (len(items),) + shapes[0]
            if tok.kind != self.sep:
                raise self.error(f"expected {self.sep!r} or ']' but found {_describe(tok)}"
                                 f" (list opened at position {opener.pos + 1})", tok)

    def matrix(self):
        begin = self.take()
        rows: list[tuple] = []
        row: list[Scalar] = []
        while True:
            row.append(self.scalar())
            tok = self.take()
            if tok.kind == "&":
                continue
            if tok.kind in ("rowsep", "end"):
                if rows and len(row) != len(rows[0]):
                    raise self.error(f"ragged: this row has {len(row)} entries, the first has "
                                     f"{len(rows[0])}", tok)
                rows.append(tuple(row))
                row = []
                if tok.kind == "rowsep" and self.peek().kind == "end":
                    tok = self.take()  # a trailing \\ before \end is common and harmless
                if tok.kind == "end":
                    if tok.text != begin.text:
                        raise self.error(f"\\end{{{tok.text}}} closes \\begin{{{begin.text}}}", tok)
                    return tuple(rows), (len(rows), len(rows[0]))
                continue
            raise self.error(f"expected '&', '\\\\' or \\end{{{begin.text}}} but found "
                             f"{_describe(tok)}", tok)

    # -- expressions
    def expr(self) -> _Node:
        self.enter()
        node = self.term()
        while self.peek().kind in ("+", "-"):
            op = self.take()
            rhs = self.term()
            node = self.arith(op, node, rhs)
        self.depth -= 1
        return node

    def term(self) -> _Node:
        node, literal = self.factor()
        while True:
            tok = self.peek()
            if tok.kind in ("*", "/"):
                self.take()
                rhs, literal = self.factor()
                node = self.arith(tok, node, rhs)
            elif tok.kind in ("sqrt", "pi", "(") or (tok.kind == "frac" and not literal):
                rhs, literal = self.factor()
                node = self.arith(_Tok("*", tok.pos, ""), node, rhs)
            elif tok.kind == "frac":
                raise self.error("a number before \\frac reads as a mixed number: write "
                                 "2+\\frac{1}{3} or 2\\cdot\\frac{1}{3}")
            elif tok.kind == "num":
                raise self.error(f"expected an operator between numbers but found {tok.text!r}")
            else:
                return node

    def factor(self) -> tuple[_Node, bool]:
        """Signs, then a power; also says whether it was a bare number (for mixed numbers)."""
        negative = False
        while self.peek().kind in ("+", "-"):
            negative ^= self.take().kind == "-"
        start = self.i
        node = self.power()
        bare = self.i == start + 1 and self.toks[start].kind == "num"
        if negative:
            node = node._replace(value=-node.value)  # negation never grows an expression
        return node, bare

    def power(self) -> _Node:
        base = self.atom()
        chain: list[tuple[_Tok, bool, _Node]] = []
        while self.peek().kind == "^":
            op = self.take()
            negative = False
            while self.peek().kind in ("+", "-"):
                negative ^= self.take().kind == "-"
            chain.append((op, negative, self.atom()))
        if not chain:
            return base
        # Right-associative fold, done iteratively: 9^9^9^9 stops at its second '^'.
        op, negative, acc = chain[-1]
        if negative:
            acc = acc._replace(value=-acc.value)
        for k in range(len(chain) - 1, 0, -1):
            acc = self.pow(chain[k][0], chain[k - 1][2], acc)
            if chain[k - 1][1]:
                acc = acc._replace(value=-acc.value)
        return self.pow(chain[0][0], base, acc)

    def atom(self) -> _Node:
        tok = self.peek()
        kind = tok.kind
        if kind == "num":
            self.take()
            num = tok.num
            prec = None if num.decimals is None else (num.decimals, num.sigfigs)
            return _Node(num.value, num.bits, prec)
        if kind == "pi":
            self.take()
            return _Node(S.Pi, 2, None, 1)
        if kind in ("(", "{"):
            self.take()
            node = self.expr()
            self.expect(")" if kind == "(" else "}", "')'" if kind == "(" else "'}'")
            return node
        if kind == "sqrt":
            self.take()
            index = 2
            if tok.text == "\\sqrt" and self.peek().kind == "[":
                self.take()
                itok = self.expect("num", "a root index such as 3")
                if not itok.num.plain or not 2 <= itok.num.value <= self.limits.max_root_index:
                    raise self.error(f"root index must be a whole number from 2 to "
                                     f"{self.limits.max_root_index}", itok)
                index = int(itok.num.value)
                self.expect("]", "']'")
            self.enter()
            arg = self.tex_arg(allow_paren=True) if tok.text == "\\sqrt" else self.root_arg()
            self.depth -= 1
            return self.root(tok, arg, index)
        if kind == "frac":
            self.take()
            self.enter()
            num = self.tex_arg(allow_paren=False)
            den = self.tex_arg(allow_paren=False)
            self.depth -= 1
            return self.arith(_Tok("/", tok.pos, tok.text), num, den)
        raise self.error(f"expected a number, '(', sqrt or pi but found {_describe(tok)}")

    def root_arg(self) -> _Node:
        """Operand of √ or sqrt: a number, pi, (..), {..} or another root."""
        if self.peek().kind in ("num", "pi", "(", "{", "sqrt"):
            return self.atom()
        raise self.error(f"expected what to take the root of but found {_describe(self.peek())}")

    def tex_arg(self, allow_paren: bool) -> _Node:
        """A TeX macro argument: {..}, or one token (\\frac12 is 1/2, as TeX reads it)."""
        tok = self.peek()
        if tok.kind == "{" or tok.kind == "pi" or (allow_paren and tok.kind == "("):
            return self.atom()
        if tok.kind == "num" and tok.num.plain:
            if len(tok.text) > 1:  # TeX takes one digit; leave the rest as the next token
                rest = tok.text[1:]
                value = Integer(int(rest))
                self.toks[self.i] = _Tok("num", tok.pos + 1, rest,
                                         _Num(value, None, None, max(value.p.bit_length(), 1), True))
                value = Integer(int(tok.text[0]))
                return _Node(value, 4, None)
            return self.atom()
        raise self.error(f"expected a {{...}} argument but found {_describe(tok)}")

    # -- arithmetic with limits checked first
    def symbolic(self, op: _Tok, *nodes: _Node, always: bool = False) -> int:
        """Cost of an operation: free on rationals, one unit per step on surds and pi."""
        cost = sum(node.cost for node in nodes)
        if not always and cost == 0 and all(node.value.is_Rational for node in nodes):
            return 0
        if cost + 1 > self.limits.max_symbolic:
            raise self.error(f"expression too complex (more than {self.limits.max_symbolic} "
                             "roots, pi and operations on them in one entry)", op)
        return cost + 1

    def arith(self, op: _Tok, a: _Node, b: _Node) -> _Node:
        bound = a.bits + b.bits + 1
        if bound > self.limits.max_bits:
            raise self.error(f"intermediate value too large (over {self.limits.max_bits} bits)", op)
        cost = self.symbolic(op, a, b)
        if op.kind == "+":
            value = a.value + b.value
        elif op.kind == "-":
            value = a.value - b.value
        elif op.kind == "*":
            value = a.value * b.value
        else:
            if _is_zero(b.value):
                raise self.error("division by zero", op)
            value = a.value / b.value
        return _Node(value, _size(value, bound), _combine(a.prec, b.prec), cost)

    def pow(self, op: _Tok, base: _Node, exp: _Node) -> _Node:
        e = exp.value
        if not e.is_Rational:
            raise self.error("the exponent must be a whole number or a fraction like 1/2", op)
        if abs(e.p) > self.limits.max_exponent:
            raise self.error(f"exponent too large (limit {self.limits.max_exponent})", op)
        if e.q > self.limits.max_root_index:
            raise self.error(f"fractional exponent denominator over {self.limits.max_root_index}", op)
        bound = base.bits * max(abs(e.p), 1)
        if bound > self.limits.max_bits:
            raise self.error(f"power too large (over {self.limits.max_bits} bits)", op)
        if e.p < 0 and _is_zero(base.value):
            raise self.error("division by zero (zero to a negative power)", op)
        if e.q != 1:
            base = self.root(op, base, int(e.q))
            e = Integer(e.p)
            bound = base.bits * max(abs(e.p), 1)
        cost = self.symbolic(op, base, exp)
        value = base.value ** e
        return _Node(value, _size(value, bound), _combine(base.prec, exp.prec), cost)

    def root(self, tok: _Tok, arg: _Node, index: int) -> _Node:
        x = arg.value
        if x.is_Rational and max(abs(x.p).bit_length(), x.q.bit_length()) > self.limits.max_root_bits:
            raise self.error(f"number under the root too large (over {self.limits.max_root_bits} bits)", tok)
        if not x.is_Rational and arg.bits > self.limits.max_root_bits:
            raise self.error("expression under the root too large", tok)
        if (x.p < 0) if x.is_Rational else x.is_negative:
            raise self.error("root of a negative number is not a real number", tok)
        cost = self.symbolic(tok, arg, always=True)
        value = sympy.sqrt(x) if index == 2 else sympy.Pow(x, Rational(1, index))
        return _Node(value, _size(value, arg.bits), _combine(arg.prec, None), cost)


def _describe(tok: _Tok) -> str:
    if tok.kind == "eof":
        return "the end of the answer"
    if tok.kind == "end":
        return f"\\end{{{tok.text}}}"
    return repr(tok.text)


def parse_answer(text: str, *, decimal_comma: bool = False,
                 limits: Limits = DEFAULT_LIMITS) -> Answer:
    """Parse a typed answer into exact SymPy values; raise AnswerSyntaxError with a position.

    Decimals become exact Rationals (never Python floats)::

        >>> parse_answer("−1.66").value        # U+2212 minus
        -83/50
        >>> parse_answer("-\\\\frac{\\\\sqrt{3}}{3}").value
        -sqrt(3)/3
        >>> parse_answer("1,5", decimal_comma=True).value
        3/2
        >>> parse_answer("2^10^10")
        Traceback (most recent call last):
        ...
        derive.errors.AnswerSyntaxError: answer at position 2: exponent too large (limit 1000)
    """
    if not isinstance(text, str):
        raise AnswerSyntaxError(f"expected text, got {type(text).__name__}", "", None)
    if len(text) > limits.max_length:
        raise AnswerSyntaxError(f"answer longer than {limits.max_length} characters",
                                text, limits.max_length)
    toks = _tokenize(text, limits, decimal_comma)
    if toks[0].kind == "eof":
        raise AnswerSyntaxError("the answer is empty", text, 0)
    parser = _Parser(text, toks, limits, ";" if decimal_comma else ",")
    try:
        return parser.answer()
    except RecursionError:  # only reachable with a custom max_depth above Python's limit
        raise AnswerSyntaxError("nested too deeply", text, parser.peek().pos) from None
