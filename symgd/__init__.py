"""symgd: exact gradients, KKT conditions and NumPy update code from losses written as in papers.

The public API (re-exports only):

    symgd.parse(source, wrt=None, where=None, syntax="auto") -> Problem
    symgd.gradient(problem_or_source, wrt=None, where=None) -> Derivation
    symgd.hessian(problem_or_source, wrt=None, where=None) -> Derivation
    symgd.codegen(problem_or_source, optimizer="gd") -> GeneratedModule
    symgd.kkt(problem_or_source) -> KKT          (.solve(data) for small problems)
    symgd.check(problem_or_source, claim) -> CheckResult
    symgd.explain(problem_or_source, wrt=None, lagrangian=False) -> Explanation
"""

from symgd.api import check, codegen, explain, gradient, hessian, kkt, lagrangian, parse
from symgd.errors import (AmbiguityError, InternalError, ParseError, ShapeError, SymgdError,
                          UnsupportedError)
from symgd.codegen import GeneratedModule
from symgd.derive import Derivation
from symgd.check import CheckResult
from symgd.explain import Explanation, Step
from symgd.kkt import KKT
from symgd.problem import Constraint, DerivativeRequest, Problem, UpdateRule

__all__ = [
    "parse", "gradient", "hessian", "codegen", "kkt", "lagrangian", "check", "explain", "KKT", "CheckResult",
    "Explanation", "Step",
    "Problem", "Constraint", "DerivativeRequest", "UpdateRule", "Derivation", "GeneratedModule",
    "SymgdError", "ParseError", "ShapeError", "UnsupportedError", "AmbiguityError", "InternalError",
]
__version__ = "0.1.0"
