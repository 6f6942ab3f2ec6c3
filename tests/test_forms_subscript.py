"""forms.subscript: the one table of subscript digits that kinds name indexed symbols with."""

from derive.forms import subscript
from derive.kinds.layernorm import indexed
from derive.modelsize.steps import z_sym, zhat_sym


def test_subscript_digits():
    assert subscript(0) == "₀"
    assert subscript(3) == "₃"
    assert subscript(10) == "₁₀"
    assert subscript(1234567890) == "₁₂₃₄₅₆₇₈₉₀"


def test_indexed_symbols_use_it():
    assert indexed("μ#", r"\mu_{#}", 12).text == "μ₁₂"
    assert indexed("μ#", r"\mu_{#}", 12).latex == r"\mu_{12}"
    assert z_sym(11).text == "z₁₁" and zhat_sym(10).text == "ẑ₁₀"
