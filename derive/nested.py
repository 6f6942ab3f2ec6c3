"""Values nested as tuples — scalars, vectors (tuples), matrices (tuples of tuples).

Dependency-free helpers shared by the renderers, the numeric checks, the oracle, the
comparison of printed answers and the Moodle export.
"""

from __future__ import annotations

__all__ = ["value_shape", "indexed_entries", "flatten"]


def value_shape(value) -> tuple[int, ...]:
    """() for a scalar, (n,) for a vector, (rows, columns) for a matrix."""
    if isinstance(value, tuple):
        return (len(value),) + (value_shape(value[0]) if value else ())
    return ()


def indexed_entries(value, index=()):
    """(index tuple, scalar) for every scalar of a value, row-major: ((1, 2), x) is row 2, column 3."""
    if isinstance(value, tuple):
        for i, v in enumerate(value):
            yield from indexed_entries(v, index + (i,))
    else:
        yield index, value


def flatten(value):
    """The scalars of a scalar, vector or matrix value, row-major."""
    if isinstance(value, tuple):
        for v in value:
            yield from flatten(v)
    else:
        yield value
