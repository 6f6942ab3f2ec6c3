"""Escaping user text for LaTeX, and compiling LaTeX to PDF without letting it do harm."""

import os
import re
import subprocess
import time
import unicodedata
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.errors import InputError, RenderError
from derive.render import pdf
from derive.render.escape import _MAP, _MATH, escape_latex, latex_escape
from derive.render.pdf import PDFLATEX_MISSING, compile_pdf, pdflatex_available, write_pdf

# As in derive/templates/preamble.tex.j2: what escape_latex is designed for.
PREAMBLE = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{lmodern}
"""


def document(body: str, title: str | None = None) -> str:
    head = rf"\title{{{title}}}\author{{}}\date{{}}" if title is not None else ""
    shown = r"\maketitle" if title is not None else ""
    return f"{PREAMBLE}{head}\n\\begin{{document}}\n{shown}\n{body}\n\\end{{document}}\n"


def pdf_text(data: bytes) -> str:
    """The text of a PDF: pdftotext when installed, else the strings of its content streams."""
    assert data.startswith(b"%PDF-")
    try:
        done = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,
            timeout=30, check=True,
        )
        return done.stdout.decode("utf-8")
    except FileNotFoundError:
        return _stream_strings(data)


def _stream_strings(data: bytes) -> str:
    """Crude extraction: decompress every stream and join its (...) string operands.

    pdfTeX shows text as [(ro)-20(ot)]TJ, so joining the strings without separators
    recovers words (T1 letters and digits are their ASCII codes).
    """
    texts = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            body = zlib.decompress(match.group(1))
        except zlib.error:
            body = match.group(1)
        for string in re.finditer(rb"\(((?:\\.|[^\\)])*)\)", body, re.S):
            texts.append(re.sub(rb"\\(.)", rb"\1", string.group(1)).decode("latin-1"))
    return "".join(texts)


def _passwd_marker() -> str:
    """A line of /etc/passwd: if it shows up in a PDF, the file was read."""
    try:
        return Path("/etc/passwd").read_text().splitlines()[0]
    except (OSError, IndexError):
        return "root:x:0:0"


HOSTILE = [
    r"\catcode95=12 \input{/etc/passwd}",
    r"^^5cinput{/etc/passwd}",
    r"^^5c^^69nput{/etc/passwd}",
    r"\newread\r \openin\r=/etc/passwd \read\r to\x \x",
    r"\def\x{\x}\x",
    r"\immediate\write18{touch /tmp/derive-pwned}",
    r"$\input{/etc/passwd}$ & # % comment ~ _ ^ {unbalanced",
    "}} \\end{document}",
    "\u202e\\input{/etc/passwd}\u202c",
    "line one\n\nline two \x00\x07 \\par",
]


# -- escaping ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("\\", r"\textbackslash{}"),
        ("{", r"\{"),
        ("}", r"\}"),
        ("$", r"\$"),
        ("&", r"\&"),
        ("#", r"\#"),
        ("%", r"\%"),
        ("_", r"\_"),
        ("~", r"\textasciitilde{}"),
        ("^", r"\textasciicircum{}"),
        ("<", r"\textless{}"),
        (">", r"\textgreater{}"),
        ("|", r"\textbar{}"),
        ("[", "{[}"),
        ("]", "{]}"),
        ("plain text, 1.5 (ok)!", "plain text, 1.5 (ok)!"),
        ("a\\b", r"a\textbackslash{}b"),
        ("\\{}", r"\textbackslash{}\{\}"),
        ("x_1^2", r"x\_1\textasciicircum{}2"),
    ],
)
def test_specials(text, expected):
    assert escape_latex(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("\u2212" "3", r"\textminus{}3"),
        ("a\u2013b\u2014c", r"a\textendash{}b\textemdash{}c"),
        ("\u201cq\u201d \u2018s\u2019", r"\textquotedblleft{}q\textquotedblright{} \textquoteleft{}s\textquoteright{}"),
        ("3\u00d74", r"3\ensuremath{\times}4"),
        ("a\u00b7b", r"a\ensuremath{\cdot}b"),
        ("\u2248", r"\ensuremath{\approx}"),
        ("\u03bc \u03c3 \u03b3 \u03b2 \u03b5 \u03bb \u03b8", r"\ensuremath{\mu} \ensuremath{\sigma} "
         r"\ensuremath{\gamma} \ensuremath{\beta} \ensuremath{\epsilon} \ensuremath{\lambda} "
         r"\ensuremath{\theta}"),
        ("\u00b5", r"\ensuremath{\mu}"),
        ("\u03a3\u0394", r"\ensuremath{\Sigma}\ensuremath{\Delta}"),
        ("10\u207b\u2075", r"10\ensuremath{^{-5}}"),  # a run of superscripts is one exponent
        ("1 MiB = 2\u00b2\u2070 bytes", r"1 MiB = 2\ensuremath{^{20}} bytes"),  # ² joins a run too
        ("x\u2081", r"x\ensuremath{_{1}}"),
        ("x\u2081\u2082, y\u2081", r"x\ensuremath{_{12}}, y\ensuremath{_{1}}"),
        ("m\u1d62\u00b2", r"m\ensuremath{_{i}^{2}}"),  # a superscript over the subscript
        ("X\u1d40\u00b2", r"X\ensuremath{^{\top}}\ensuremath{^{2}}"),  # never a double superscript
        ("\u2026", r"\textellipsis{}"),
        ("caf\u00e9 \u00df \u00f1", "caf\u00e9 \u00df \u00f1"),  # Latin-1 letters stay
        ("x\u00b2 \u00b3", r"x\ensuremath{^{2}} \ensuremath{^{3}}"),  # ² and ³ too are math scripts
        ("\u03c3\u00b2 and \u2016\u03b8\u2016\u00b2", r"\ensuremath{\sigma^{2}} and \ensuremath{\Vert}\ensuremath{\theta}\ensuremath{\Vert^{2}}"),
        ("e\u0301", "\u00e9"),  # combining accent composed to Latin-1 (NFC)
        # beyond Latin-1, a precomposed letter with a math accent is that accent in math;
        # NFC makes z + U+0302 the precomposed ẑ (model size's ẑᵢ), which was refused
        ("\u1e91\u1d62 counts z\u1d62", r"\ensuremath{\hat{z}_{i}} counts z\ensuremath{_{i}}"),
        ("z\u0302\u2081\u2080", r"\ensuremath{\hat{z}_{10}}"),
        ("\u0177 \u1e8b", r"\ensuremath{\hat{y}} \ensuremath{\dot{x}}"),
        # an underscore after a Greek letter is its index (ℓ₂'s prose: ‖θ_λ‖, θ_sep), not a
        # text underscore between math; after a Latin letter it stays literal (x_1, in_features)
        ("\u2016\u03b8_\u03bb\u2016", r"\ensuremath{\Vert}\ensuremath{\theta_{\lambda}}\ensuremath{\Vert}"),
        ("\u03b8_sep up, \u03c3_12", r"\ensuremath{\theta_{\text{sep}}} up, \ensuremath{\sigma_{12}}"),
        ("\u03bc_i x_1 in_features", r"\ensuremath{\mu_{i}} x\_1 in\_features"),
        ("\u03b8_\u03bb\u00b2 \u03c3_1a", r"\ensuremath{\theta}\_\ensuremath{\lambda^{2}} \ensuremath{\sigma}\_1a"),
    ],
)
def test_unicode(text, expected):
    assert escape_latex(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a\nb\tc\r\nd", "a b c  d"),
        ("a\x00b\x07c\x1bd\x7fe\x9bf", "abcdef"),
        ("ab\u202ecd\u202c", "abcd"),  # RIGHT-TO-LEFT OVERRIDE ... POP DIRECTIONAL FORMATTING
        ("\u2066x\u2069\u200e\u200f\u061c", "x"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("a\u2003b", "a b"),
    ],
)
def test_invisible_characters(text, expected):
    assert escape_latex(text) == expected


def test_a_lone_script_character_prints_as_the_table_says():
    """Runs are grouped; one super- or subscript alone, after text, is the table's replacement."""
    for ch in "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ᵢⱼₙₖ":
        assert escape_latex(f"x{ch} y") == f"x{_MAP[ch]} y"


def test_unmapped_character_names_field_and_position():
    with pytest.raises(InputError) as info:
        escape_latex("ab\u5c42", field="title")
    assert info.value.field == "title"
    assert str(info.value).startswith("title: character '\u5c42' (U+5C42) at position 3")
    with pytest.raises(InputError, match="at position 8 "):  # counted in the text given, past a run
        escape_latex("2\u207b\u2075\u00b3 ab\u5c42")


@pytest.mark.parametrize("text", ["\U0001f600", "\u2603", "\ue000", "\ud800", "\u0436"])
def test_unmapped_characters(text):
    with pytest.raises(InputError):
        escape_latex(text)
    assert escape_latex(text, strict=False) == "?"


def test_jinja_filter_form():
    assert latex_escape(42) == "42"
    assert latex_escape("50%", "title") == r"50\%"
    with pytest.raises(InputError, match="^name: "):
        latex_escape("\u5c42", "name")
    with pytest.raises(TypeError):
        latex_escape(None)
    with pytest.raises(TypeError):
        escape_latex(b"bytes")


def test_jinja_filter_in_a_template():
    jinja2 = pytest.importorskip("jinja2")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters["tex"] = latex_escape
    assert env.from_string(r"\title{ {{- t | tex -}} }").render(t="A & B_1") == r"\title{A \& B\_1}"


# Every replacement the table produces, longest first: the escaped text must consist of
# these tokens and characters that TeX treats as plain text, nothing else.
_SCRIPTED = (r"\\ensuremath\{(?:" + "|".join(re.escape(v) for v in sorted(_MATH.values(), key=len, reverse=True))
             + r")?(?:[_^]\{[0-9()+=nijk-]+\})+\}")  # a run of scripts, maybe joined to the math before it
# A letter under a math accent (x̂; a precomposed ẑ or Ŝ), maybe with scripts joined to it.
_ACCENTED = r"\\ensuremath\{\\(?:hat|bar|tilde|dot)\{[A-Za-z]\}(?:[_^]\{[0-9()+=nijk-]+\})*\}"
# A Greek letter's underscore index (θ_λ, θ_sep, σ_12): letters and digits only.
_GREEK_CMDS = "|".join(re.escape(v) for v in sorted(_MATH.values(), key=len, reverse=True) if v[1:].isalpha())
_INDEXED = (rf"\\ensuremath\{{(?:{_GREEK_CMDS})_\{{(?:(?:{_GREEK_CMDS})|[A-Za-z]|[0-9]+|\\text\{{[A-Za-z]+\}})\}}\}}")
_TOKENS = re.compile("|".join([_SCRIPTED, _ACCENTED, _INDEXED]
                              + [re.escape(v) for v in sorted(set(_MAP.values()), key=len, reverse=True)]))
_ACTIVE = set("\\{}$&#%^_~<>|[]") | {chr(c) for c in range(32)} | {"\x7f"}


def _assert_inert(escaped: str) -> None:
    rest = _TOKENS.sub("", escaped)
    assert not _ACTIVE & set(rest), (escaped, rest)
    assert all(c <= "\u00ff" for c in rest), rest
    assert not any(unicodedata.category(c) == "Cc" for c in rest)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_inert(text):
    escaped = escape_latex(text)
    _assert_inert(escaped)
    assert "\\input" not in escaped and "^^" not in escaped and "\\def" not in escaped


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_escapes_to_inert_latex(text):
    _assert_inert(escape_latex(text, strict=False))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="θλσμΣẑŜŷx\u0302\u0304_₁₂ᵢ²⁻ ab1{}\\^$", max_size=12))
def test_accents_and_greek_indices_escape_to_inert_latex(text):
    """The outputs the broad test above rarely meets: accented letters, θ_λ, scripts beside them."""
    _assert_inert(escape_latex(text, strict=False))


# -- compiling --------------------------------------------------------------------------

def test_pdflatex_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    assert pdflatex_available() is False
    with pytest.raises(RenderError) as info:
        compile_pdf(document("x"))
    assert str(info.value) == PDFLATEX_MISSING
    with pytest.raises(RenderError):
        write_pdf(document("x"), tmp_path / "out.pdf")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("runs", [0, -1, 1.5, True, "2"])
def test_bad_runs(runs):
    with pytest.raises(InputError, match="^runs: "):
        compile_pdf(document("x"), runs=runs)


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf")])
def test_bad_timeout(timeout):
    with pytest.raises(InputError, match="^timeout: "):
        compile_pdf(document("x"), timeout=timeout)


@pytest.mark.requires_tool("pdflatex", "latexmk")
def test_small_document_compiles_quickly():
    assert pdflatex_available()
    start = time.monotonic()
    data = compile_pdf(document("Hello, PDF."))
    elapsed = time.monotonic() - start
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-64:]
    assert "Hello, PDF." in pdf_text(data)
    assert elapsed < 20, f"a one-line document took {elapsed:.1f} s"


@pytest.mark.requires_tool("pdflatex")
def test_every_mapped_character_and_latin1_compiles():
    """The escape table is checked against real LaTeX: each replacement must typeset."""
    mapped = "".join(sorted(_MAP))
    latin1 = "".join(chr(c) for c in range(0xA0, 0x100))
    body = escape_latex(mapped) + "\n\n" + escape_latex(latin1)
    data = compile_pdf(document(body, title=escape_latex("\u03bc, \u03c3\u00b2 \u2212 title")), runs=1)
    text = pdf_text(data)
    assert "\u00e9" in text and "\u00df" in text


@pytest.mark.requires_tool("pdflatex")
@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_escaped_prints_literally(hostile):
    escaped = escape_latex(hostile)
    data = compile_pdf(
        document(rf"\section{{{escaped}}} Body: {escaped}", title=escaped), timeout=30, runs=1
    )
    text = pdf_text(data)
    assert _passwd_marker() not in text
    assert "Body:" in text
    if "input{/etc/passwd}" in hostile:
        assert "input{/etc/passwd}" in text.replace(" ", "")
    assert not Path("/tmp/derive-pwned").exists()


# Defence in depth: even *unescaped* TeX may not read or write outside its directory.
@pytest.mark.requires_tool("pdflatex")
@pytest.mark.parametrize(
    "body",
    [
        r"\input{/etc/passwd}",
        r"\catcode95=12 \input{/etc/passwd}",
        r"\input{../../../../../../etc/passwd}",
        r"\newread\r \immediate\openin\r=/etc/passwd \ifeof\r closed\else\read\r to\x \x\fi",
        r"\newread\r \immediate\openin\r=/etc/passwd \read\r to\x \x",
    ],
)
def test_raw_tex_cannot_read_files(body):
    try:
        text = pdf_text(compile_pdf(document(body), timeout=30, runs=1))
    except RenderError:
        return  # refused: fine
    assert _passwd_marker() not in text


@pytest.mark.requires_tool("pdflatex")
def test_raw_tex_cannot_write_outside_or_run_commands(tmp_path):
    target = tmp_path / "written.txt"
    pwned = tmp_path / "pwned"
    body = (
        rf"\immediate\write18{{touch {pwned}}}"
        rf"\newwrite\w \immediate\openout\w={target} \immediate\write\w{{hi}}\immediate\closeout\w"
    )
    with pytest.raises(RenderError, match="write"):
        compile_pdf(document(body), timeout=30, runs=1)
    assert not target.exists() and not pwned.exists()


@pytest.mark.requires_tool("pdflatex")
@pytest.mark.parametrize("runs", [None, 1])
def test_latex_error_is_one_line_with_location(runs):
    source = document("fine\n\\undefinedmacro here")
    line = source.splitlines().index(r"\undefinedmacro here") + 1
    with pytest.raises(RenderError) as info:
        compile_pdf(source, runs=runs)
    message = str(info.value)
    assert message == rf"LaTeX error: Undefined control sequence. (l.{line} \undefinedmacro)"


@pytest.mark.requires_tool("pdflatex")
@pytest.mark.parametrize(
    "source, expected",
    [
        (PREAMBLE + r"\usepackage{no-such-package-xyz}\begin{document}x\end{document}",
         "File `no-such-package-xyz.sty' not found"),
        (PREAMBLE + r"\begin{document}x", r"Emergency stop. The document ended too early"),
        ("", r"Emergency stop. The document ended too early (no \end{document})"),
        (document(r"\newread\r \read\r to\x"), r"TeX tried to read from the terminal"),
    ],
)
def test_other_errors(source, expected):
    with pytest.raises(RenderError) as info:
        compile_pdf(source, runs=1)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.requires_tool("pdflatex")
@pytest.mark.parametrize("runs", [None, 1])
def test_endless_loop_is_killed(monkeypatch, runs):
    started = []
    real_popen = subprocess.Popen

    def recording_popen(*args, **kwargs):
        process = real_popen(*args, **kwargs)
        started.append(process)
        return process

    monkeypatch.setattr(pdf.subprocess, "Popen", recording_popen)
    start = time.monotonic()
    with pytest.raises(RenderError, match=r"^LaTeX timed out after 3 s"):
        compile_pdf(document(r"\def\x{\x}\x"), timeout=3, runs=runs)
    assert time.monotonic() - start < 3 + 5
    assert started
    for process in started:
        assert process.returncode is not None
        assert _group_gone(process.pid), "a process of the killed group is still running"


def _group_gone(pgid: int, wait: float = 5.0) -> bool:
    """Whether no process is left in group *pgid* (killed children may take a moment
    to be reaped by init, and a zombie still counts as a member)."""
    end = time.monotonic() + wait
    while time.monotonic() < end:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.requires_tool("pdflatex")
def test_runs_resolve_references(monkeypatch):
    source = document(r"\section{One}\label{one} See section \ref{one}.")
    assert "See section ??" in pdf_text(compile_pdf(source, runs=1))
    assert "See section 1" in pdf_text(compile_pdf(source, runs=2))
    assert "See section 1" in pdf_text(compile_pdf(source))  # latexmk, or pdflatex twice
    real_which = pdf.shutil.which
    monkeypatch.setattr(pdf.shutil, "which", lambda n: None if n == "latexmk" else real_which(n))
    assert "See section 1" in pdf_text(compile_pdf(source))  # no latexmk: pdflatex twice


@pytest.mark.requires_tool("pdflatex")
def test_write_pdf_is_atomic(tmp_path):
    out = tmp_path / "sheet.pdf"
    assert write_pdf(document("first"), out) == out
    assert out.read_bytes().startswith(b"%PDF-")
    assert "first" in pdf_text(out.read_bytes())
    assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    before = out.read_bytes()
    with pytest.raises(RenderError):
        write_pdf(document(r"\undefinedmacro"), out)
    assert out.read_bytes() == before  # the old PDF survives a failed build
    assert [p.name for p in tmp_path.iterdir()] == ["sheet.pdf"]  # no temporary left

    fresh = tmp_path / "never.pdf"
    with pytest.raises(RenderError):
        write_pdf(document(r"\def\x{\x}\x"), fresh, timeout=2, runs=1)
    assert not fresh.exists()
    with pytest.raises(RenderError, match="^cannot write "):
        write_pdf(document("x"), tmp_path / "no-such-dir" / "x.pdf", runs=1)
    assert [p.name for p in tmp_path.iterdir()] == ["sheet.pdf"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.requires_tool("pdflatex")
def test_fallback_text_extraction_reads_pdftex_output():
    data = compile_pdf(document("Marker wordzz 12345."), runs=1)
    assert "wordzz" in _stream_strings(data)
