"""Values worked out from immutable objects, kept by the object's identity.

A fixed problem's Solution is the same object in every variant, a variant's params are
fingerprinted, recorded and put in its key, and a kind's `generate` solves the params
the variant then solves again.  Hashing such a tree costs about as much as the work it
would save, so these memos look objects up by identity: an equal but distinct object
is simply worked out again.

>>> kept = KeptByIdentity(2)
>>> p = [1, 2]
>>> kept.get(p, lambda: sum(p)), kept.get(p, lambda: "not called")
(3, 3)
"""

from __future__ import annotations

from operator import is_
from typing import Any, Callable

__all__ = ["KeptByIdentity", "keep"]


class KeptByIdentity:
    """The `size` most recently used values, keyed by an object's identity (and any
    further key parts).  Each entry holds its object, so the id cannot be reused while
    the entry is kept."""

    def __init__(self, size: int):
        self.size = size
        self._items: dict = {}

    def get(self, obj, make: Callable[[], Any], *key) -> Any:
        """The value kept for `obj` (and `key`), else `make()`, kept from now on."""
        k = (id(obj), *key) if key else id(obj)  # an int hashes at no cost; a tuple, twice a call
        hit = self._items.pop(k, None)
        if hit is None or hit[0] is not obj:
            hit = self._made(obj, make)
        self._items[k] = hit  # most recently used last
        return hit[1]

    def get_all(self, objects: tuple, make: Callable[[], Any], *key) -> Any:
        """`get` for a value made from several objects: kept by the identity of each."""
        k = (tuple(map(id, objects)), *key)
        hit = self._items.pop(k, None)
        if hit is None or not all(map(is_, hit[0], objects)):  # in C: a spec's ~30 objects, each variant
            hit = self._made(objects, make)
        self._items[k] = hit
        return hit[1]

    def _made(self, held, make: Callable[[], Any]) -> tuple:
        """A new entry (the objects it holds, the value), room made for it."""
        value = make()
        while len(self._items) >= self.size:
            del self._items[next(iter(self._items))]  # the least recently used
        return held, value

    def clear(self) -> None:
        self._items.clear()


def keep(table: dict, key, value, size: int):
    """Remember `value` under `key` in a table of at most `size` entries and return it: a
    full table is emptied, and the values in use refill it (for tables keyed by value,
    such as printed numbers, where hits come in runs)."""
    if len(table) >= size:
        table.clear()
    table[key] = value
    return value
