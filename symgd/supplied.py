"""Functions of the parameters that the source leaves abstract and the user supplies.

Textbooks write losses through a model or residual function they never spell out: Nocedal & Wright's
``f(x) = \\frac{1}{2}\\sum_j r_j^2(x)``, the barrier ``f(x) - \\mu\\sum_i \\log c_i(x)``, Bishop's
``\\frac{1}{2}\\sum_n \\|y(x_n, w) - t_n\\|^2``. symgd reads such a call as a function the user supplies: its
value is an array named after the function (``r``, one entry per index of its subscript and per data point
among its arguments, with output axes inferred from use), and the chain rule stops at it. The derivative of
an entry of the value with respect to an entry of a parameter is the matching entry of its Jacobian
(``J_r[j, k] = ∂r_j/∂x_k``), so a gradient reads ``J_r^\\top r``, as the textbook writes it.

In index form an entry of the value (or of a Jacobian) is a :class:`supplied` call, which carries the
parameters it depends on and the Jacobians to differentiate into; :func:`as_arrays` turns every such call
into a plain entry of its array, so numeric evaluation and matrix forms read the value and the Jacobians
as arrays given at the point. Second derivatives (the function's Hessian) are not supported.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from symgd.errors import UnsupportedError

FUNCTION = "function"   # the role of a supplied function's value and of its Jacobians


class supplied(sympy.Function):
    """An entry of the value of a supplied function, or of one of its Jacobians.

    ``supplied(array, params, jacobians, label, *indices)``: ``array`` is the value's IndexedBase (a Symbol
    for a scalar value), ``params`` a Tuple of the parameters the function takes, ``jacobians`` a Tuple of
    the Jacobians' arrays, one per parameter (empty for an entry of a Jacobian, whose own derivative is
    refused), ``label`` a Symbol naming the call as written (for messages), ``indices`` the entry's.

    ∂ value[i...] / ∂ param[k...] = J[i..., k...] (J the Jacobian of that parameter); 0 for anything else.
    """

    is_real = True
    is_commutative = True

    @property
    def array(self):
        return self.args[0]

    @property
    def indices(self) -> tuple:
        return tuple(self.args[4:])

    @property
    def label(self) -> str:
        return self.args[3].name

    def entry(self):
        """The plain entry of the array this call stands for (the array itself for a scalar)."""
        array, indices = self.args[0], self.args[4:]
        return array[indices] if indices else array

    def _eval_derivative(self, s):
        array, params, jacobians, label, *indices = self.args
        base, at = (s.base, tuple(s.indices)) if isinstance(s, sympy.Indexed) else (s, ())
        if base not in params:
            return sympy.Integer(0)
        if not jacobians:
            raise UnsupportedError(f"the second derivative of the function {label.name} you supply (its Hessian); "
                                   "only its Jacobian enters the gradient")
        jacobian = jacobians[list(params).index(base)]
        return supplied(jacobian, params, sympy.Tuple(), label, *indices, *at)

    def _latex(self, printer, exp=None):
        array, indices = self.args[0], self.args[4:]
        text = printer._print(self.entry())
        if indices and "_" in str(getattr(array, "label", array)):   # (J_{r})_{jk}, not J_{r}_{jk}
            text = r"\left(%s\right)_{%s}" % (printer._print(array.label), " ".join(printer._print(i) for i in indices))
        return text if exp is None else r"\left(%s\right)^{%s}" % (text, exp)

    def _sympystr(self, printer):
        return printer._print(self.entry())


def as_arrays(expr):
    """``expr`` with every supplied call replaced by the plain entry of its array: the value and the
    Jacobians become arrays given at the point (for evaluation and matrix forms)."""
    if not isinstance(expr, sympy.Basic) or not expr.has(supplied):
        return expr
    return expr.replace(lambda e: isinstance(e, supplied), lambda e: e.entry())


@dataclass(frozen=True)
class SuppliedFunction:
    """A function of the parameters that the source leaves abstract (``r_j(x)``, ``y(x_n, w)``).

    Attributes:
        name: the function's name as written (``r``, ``c``, ``y``).
        written: a call as the source writes it, in LaTeX (``r_{j}(x)``).
        value: the symbol of its value (IndexedBase, or Symbol for a scalar), role ``function``.
        params: the parameters it takes, in the order of its arguments.
        jacobians: parameter -> the symbol of the Jacobian (its shape: the value's, then the parameter's).
        points: the data points among its arguments as written (``x_n``): the value has one entry per point.
        arguments: its arguments as the source writes them: ``("param", name)`` or ``("point", the data's name)``.
        subscripts: the parameters written as its subscript (``w`` of ``f_w(x_i)``).
    """

    name: str
    written: str
    value: object
    params: tuple
    jacobians: dict
    points: tuple = ()
    arguments: tuple = ()
    subscripts: tuple = ()

    def call(self, *indices) -> supplied:
        """The index-form entry of the value at ``indices``."""
        return supplied(self.value, sympy.Tuple(*self.params), sympy.Tuple(*(self.jacobians[p] for p in self.params)),
                        sympy.Symbol(self.written), *indices)

    def in_index_form(self, expr):
        """``expr`` with every entry of the value array (a plain Indexed or Symbol) made a supplied call."""
        if isinstance(self.value, sympy.IndexedBase):
            return expr.replace(lambda e: isinstance(e, sympy.Indexed) and e.base == self.value,
                                lambda e: self.call(*e.indices))
        return expr.xreplace({self.value: self.call()})
