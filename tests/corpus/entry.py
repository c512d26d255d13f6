"""One corpus entry: a formula as a source writes it, its citation, and a hand-written NumPy reference.

Entries are written compactly with :func:`entry`: shapes as ``"X:N,p y:N beta:p lambda:"`` (a name,
a colon, the comma-separated dimension names; nothing after the colon for a scalar), value kinds as
``"y:pm1 S:spd"`` (``"y:labels:K"``: integer class labels 0, ..., K - 1, K a size label). Dimension names are the test's size labels; their sizes come from
:data:`SIZES` unless the entry gives its own (every size distinct, so a lost transpose cannot hide).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

SUPPORTED, MISREADING, REFUSAL, UNSUPPORTED = "supported", "known_misreading", "known_refusal", "unsupported"
STATUSES = (SUPPORTED, MISREADING, REFUSAL, UNSUPPORTED)

# Sizes of the dimension labels used in shapes; all distinct.
SIZES = {"n": 7, "N": 7, "m": 7, "d": 3, "p": 5, "K": 4, "k": 2, "D": 3, "T": 6, "q": 8, "r": 2,
         "M": 6, "L": 9, "c": 4}

Values = dict[str, object]


@dataclass(frozen=True)
class Entry:
    """A formula of the corpus.

    Attributes:
        id: a short unique name.
        source: the citation (book, chapter / section, equation number where known; paper and section).
        latex: the formula exactly as the source writes it.
        wrt: the parameters, as passed to ``symgd.parse(wrt=...)``.
        shapes: symbol name -> tuple of dimension labels (``()`` for a scalar).
        reference: the loss by hand in NumPy, from what the source means; takes the values by name.
        status: supported / known_misreading / known_refusal / unsupported.
        where: declarations the source states in its text (``symgd.parse(where=...)``).
        sizes: sizes of the dimension labels (defaults: SIZES).
        kinds: symbol -> value kind (see :func:`corpus.harness.random_values`).
        construct: for ``unsupported``: the construct the UnsupportedError must name.
        gap: for known misreadings / refusals: what symgd does today (the xfail reason).
        variants: equivalent spellings (operands permuted, terms reordered, ``a - b`` as ``-(b - a)``).
        functions: for a function of the parameters the source leaves abstract (``r_j(x)``): its name ->
            a concrete binding, values -> (its value, its Jacobian) at the values' point (the Jacobian a
            dict by parameter name when it takes several); the reference is the composite by hand.
    """

    id: str
    source: str
    latex: str
    wrt: str
    shapes: dict[str, tuple]
    reference: Callable[[Values], float] | None
    status: str = SUPPORTED
    where: str | None = None
    sizes: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    construct: str | None = None
    gap: str | None = None
    variants: tuple[str, ...] = ()
    constraints: Callable[[Values], list] | None = None
    functions: dict[str, Callable[[Values], tuple]] = field(default_factory=dict)

    @property
    def params(self) -> list[str]:
        """The parameter names as written in ``wrt`` (``"\\beta_0, \\beta"`` -> two names)."""
        return [name.strip() for name in self.wrt.split(",") if name.strip()]

    def size(self, label) -> int:
        """The size of a dimension label (an int is its own size)."""
        if isinstance(label, int):
            return label
        return {**SIZES, **self.sizes}[label]

    def concrete_shape(self, name: str) -> tuple[int, ...]:
        """The shape of symbol ``name`` in numbers."""
        return tuple(self.size(label) for label in self.shapes[name])


def _parse_shapes(text: str) -> dict[str, tuple]:
    shapes = {}
    for item in text.split():
        name, _, dims = item.partition(":")
        shapes[name] = tuple(int(d) if d.isdigit() else d for d in dims.split(",") if d)
    return shapes


def _parse_kinds(text: str) -> dict[str, str]:
    return dict(item.split(":", 1) for item in text.split())   # "y:labels:K": integer labels 0..K-1


def entry(id: str, source: str, latex: str, wrt: str, shapes: str, reference, *, status: str = SUPPORTED,
          where: str | None = None, sizes: dict | None = None, kinds: str = "", construct: str | None = None,
          gap: str | None = None, variants: tuple | list = (), constraints=None, functions=None) -> Entry:
    """Build an Entry from the compact spellings of shapes and kinds."""
    assert status in STATUSES, status
    assert (status == UNSUPPORTED) == (construct is not None), f"{id}: construct only for unsupported"
    assert status in (SUPPORTED, UNSUPPORTED) or gap, f"{id}: a known failure says what symgd does"
    return Entry(id=id, source=source, latex=latex, wrt=wrt, shapes=_parse_shapes(shapes), reference=reference,
                 status=status, where=where, sizes=dict(sizes or {}), kinds=_parse_kinds(kinds),
                 construct=construct, gap=gap, variants=tuple(variants), constraints=constraints,
                 functions=dict(functions or {}))


def sigmoid(z):
    """The logistic function, for the references."""
    return 1.0 / (1.0 + np.exp(-z))


def logsumexp(z, axis=None):
    """log Σ exp, stable, for the references."""
    top = np.max(z, axis=axis, keepdims=True)
    out = top + np.log(np.sum(np.exp(z - top), axis=axis, keepdims=True))
    return np.squeeze(out, axis=axis) if axis is not None else float(out.squeeze())


def softmax(z, axis=-1):
    """Row-wise softmax, for the references."""
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)
