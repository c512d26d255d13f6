"""symgd: exact gradients, KKT conditions and NumPy update code from losses written as in papers.

The public API (re-exports only):

    symgd.parse(source, wrt=None, where=None, syntax="auto") -> Problem
"""

from symgd.api import parse
from symgd.errors import (AmbiguityError, InternalError, ParseError, ShapeError, SymgdError,
                          UnsupportedError)
from symgd.problem import Constraint, DerivativeRequest, Problem, UpdateRule

__all__ = [
    "parse", "Problem", "Constraint", "DerivativeRequest", "UpdateRule",
    "SymgdError", "ParseError", "ShapeError", "UnsupportedError", "AmbiguityError", "InternalError",
]
__version__ = "0.1.0"
