"""Fixed text of the generated constrained solvers: the two methods' ``fit`` and the KKT analysis
they share (least-squares multipliers on the active set, residuals, the certificate behind the
status word, restarts from points that are not minima).

Templates are filled in with ``str.format`` (``{{`` is a brace of the generated code). The analysis
calls the module's ``loss``, ``grad``, ``constraint_values``, ``lagrangian_grad``, ``lagrangian_hess``,
``bounds`` and reads ``CONVEXITY``, ``QUADRATIC`` and ``HAS_HESSIAN``; ``data`` is the tuple of the
data and constants in argument order.
"""

FIT_AUGLAG = '''def fit({signature}, *, max_iter=100, tol=1e-8, rho=10.0, restarts=3, callback=None):
    """Solve the constrained problem by the augmented Lagrangian method.

    Returns (solution, info): info has "status", "certificate" (why: how optimality was certified,
    or what is known about the point), "multipliers" (lam for h = 0, mu for g <= 0, and "lower" and
    "upper" for the bounds, estimated by least squares on the active set), "residuals"
    (stationarity, feasibility, complementarity), "history" (the loss after each outer iteration)
    and "restarts". Status: "optimal" (KKT residuals at most tol and a certified minimum: a convex
    problem, or the second-order sufficient condition), "kkt point" (residuals at most tol but not
    certified a minimum), "infeasible" (the violation stays with the penalty at its cap, the iterates
    bounded), "diverged" (the iterates grew without bound while the loss fell: perhaps unbounded below),
    "undefined" (the loss is nan all around the point: outside its domain), "stalled" (no progress at
    full inner accuracy) or "max_iter" (the outer iterations ran out). From a point that is not a minimum (a saddle or
    a maximum) the solver restarts along its direction of negative curvature, up to ``restarts`` times.
    """
    starts = tuple(np.array(p, dtype=float) for p in ({starts}))
    data = ({data})
    lower, upper, unpack = _layout(starts, data)

    if np.any(lower > upper):   # contradictory bounds, such as x >= 1 and x <= 0
        params = starts
        return {result}, _crossed_bounds(lower, upper)

    def run(theta, history):
        return _augmented_lagrangian(theta, unpack, lower, upper, data, max_iter, tol, rho, callback, history)

    theta, info = _solve_with_restarts(run, np.clip(_flat(starts), lower, upper), unpack, lower, upper, data, tol,
                                       restarts)
    params = unpack(theta)
    return {result}, info


def _augmented_lagrangian(theta, unpack, lower, upper, data, max_iter, tol, rho, callback, history):
    """Outer iterations from theta: (theta, (lam, mu), "converged" | "max_iter" | "infeasible" |
    "stalled" | "diverged" | "undefined"). Stops at the first outer iteration whose KKT residuals are at
    most tol; the inner tolerance starts loose and shrinks tenfold with each outer iteration, down to tol / 10."""
    h, g = constraint_values(*unpack(theta), *data)
    lam, mu = np.zeros(h.size), np.zeros(g.size)
    violation, outcome = np.inf, "max_iter"
    inner_tol = max(1e-3 * max(1.0, np.max(np.abs(_flat(grad(*unpack(theta), *data))))), tol)
    best, since_best = np.inf, 0

    def augmented(theta):
        params = unpack(theta)
        value = loss(*params, *data)
        h, g = constraint_values(*params, *data)
        shifted = np.maximum(0.0, mu + rho * g)
        value += lam @ h + 0.5 * rho * (h @ h) + (shifted @ shifted - mu @ mu) / (2 * rho)
        return value, _flat(lagrangian_grad(*params, *data, lam=lam + rho * h, mu=shifted))

    far = 1e12 * max(1.0, np.max(np.abs(theta), initial=0.0))   # iterates beyond this have diverged
    for _ in range(max_iter):
        theta, defined = _inner_minimize(augmented, theta, lower, upper, inner_tol)
        if not defined:   # L-BFGS-B cannot leave a point whose neighbourhood is outside the loss's domain
            outcome = "undefined"
            break
        if not np.isfinite(loss(*unpack(theta), *data)) or np.max(np.abs(theta), initial=0.0) > far:
            outcome = "diverged"   # the loss fell without bound: no violation measured out there means anything
            break
        params = unpack(theta)
        h, g = constraint_values(*params, *data)
        lam = lam + rho * h
        mu = np.maximum(0.0, mu + rho * g)
        history.append(loss(*params, *data))
        if callback is not None:
            callback(len(history) - 1, params, history[-1])
        stationarity, feasibility, complementarity = _residuals(theta, params, lam, mu, h, g, lower, upper, data)
        residual = max(stationarity, feasibility, complementarity)
        if residual > tol and inner_tol <= tol and max(feasibility, complementarity) <= np.sqrt(tol):
            # the inner solver works with loss values, which rounding blurs near a minimum: Newton steps
            # on the KKT equations of the active set work with gradients and get the last digits
            theta, lam, mu, residual = _polish(theta, unpack, lower, upper, data, tol, lam, mu)
        if residual <= tol:
            outcome = "converged"
            break
        best, since_best = (residual, 0) if residual < 0.5 * best else (best, since_best + 1)
        if inner_tol <= 0.1 * tol and since_best >= 5 and feasibility <= tol:
            # feasible, yet five outer iterations at full inner accuracy brought no progress
            outcome = "stalled"
            break
        inner_tol = max(0.1 * tol, 0.1 * inner_tol)
        new_violation = max(np.max(np.abs(h), initial=0.0), np.max(g, initial=0.0))
        if new_violation > tol and new_violation > 0.25 * violation:
            if rho >= 1e10:   # the penalty cannot grow further and the violation stays
                outcome = "infeasible" if new_violation > np.sqrt(tol) else "stalled"
                break
            rho *= 10.0
        violation = new_violation
    return theta, (lam, mu), outcome


def _inner_minimize(function, theta, lower, upper, tol):
    """(theta, defined): L-BFGS-B on the augmented Lagrangian. Where a trial step leaves the loss's domain
    (the log of a negative number is nan), L-BFGS-B stops at its start; then it runs again inside a box
    around the point (it never evaluates outside its box), half as wide after each failure and centred
    anew while its solution lies on the box's edge: a trust region that keeps the iterates where the loss
    is defined. ``defined`` is False when even a tiny box fails."""
    options = {{"maxiter": 5000, "gtol": tol, "ftol": 1e-16}}
    inner = minimize(function, theta, jac=True, method="L-BFGS-B", bounds=list(zip(lower, upper)), options=options)
    if np.isfinite(inner.fun):
        return inner.x, True
    radius = 0.5 * np.maximum(np.abs(theta), 1e-3)
    for _ in range(200):
        low, high = np.maximum(lower, theta - radius), np.minimum(upper, theta + radius)
        inner = minimize(function, theta, jac=True, method="L-BFGS-B", bounds=list(zip(low, high)), options=options)
        if not np.isfinite(inner.fun):
            radius = radius / 2
            if np.max(radius) < 1e-12 * max(1.0, np.max(np.abs(theta))):
                return theta, False
            continue
        edge = ((inner.x <= low) & (low > lower)) | ((inner.x >= high) & (high < upper))
        theta = inner.x
        if not np.any(edge):
            return theta, True
        radius = np.maximum(radius, 0.5 * np.maximum(np.abs(theta), 1e-3))
    return theta, True


def _residuals(theta, params, lam, mu, h, g, lower, upper, data):
    """KKT residuals with the method's own multipliers: stationarity (projected on the bounds),
    feasibility, complementarity."""
    step = _flat(lagrangian_grad(*params, *data, lam=lam, mu=mu))
    stationarity = np.max(np.abs(theta - np.clip(theta - step, lower, upper)), initial=0.0)
    feasibility = max(np.max(np.abs(h), initial=0.0), np.max(g, initial=0.0))
    complementarity = np.max(_complementarity(mu, g), initial=0.0)   # as the analysis measures it
    return stationarity, feasibility, complementarity
'''

FIT_PROJECTED = '''def {name}({signature}, *, lr=1.0, max_iter=10000, tol=1e-8, restarts=3, callback=None):
    """Projected gradient descent with a backtracking step (the step halves until the loss
    decreases as its quadratic model promises, and grows again after a success); ``lr`` is the
    first step.

    Returns (solution, info): info has "status" ("optimal", "kkt point" or "max_iter", as for the
    augmented Lagrangian), "certificate", "multipliers" (least squares on the active set),
    "residuals" (stationarity, feasibility, complementarity), "history" (losses) and "restarts".
    """
    data = ({data})
    start = np.array({x}0, dtype=float)
    shape = np.shape(start)
    ((lower, upper),) = bounds(start, *data)
    lower, upper = np.ravel(lower), np.ravel(upper)
    if np.any(lower > upper):   # no point to project onto (projected gradient ran all its iterations)
        return start, _crossed_bounds(lower, upper)

    def unpack(theta):
        return (theta.reshape(shape),)

    def run(theta, history):
        return _projected_gradient(theta, unpack, lower, upper, data, lr, max_iter, tol, callback, history)

    theta, info = _solve_with_restarts(run, np.ravel(start), unpack, lower, upper, data, tol, restarts)
    return theta.reshape(shape), info


def _projected_gradient(x, unpack, lower, upper, data, step, max_iter, tol, callback, history):
    """Iterations from x: (x, None, "converged" | "max_iter"); converged when the KKT residuals
    (checked once the projected-gradient step is small) are at most tol."""
    x = project(x, *data)
    value, g = value_and_grad(x, *data)
    history.append(value)
    target = tol
    for iteration in range(max_iter):
        while True:
            candidate = project(x - step * g, *data)
            move = candidate - x
            new_value, new_g = _value_and_grad_in_domain(candidate, data)
            if _accept(value, g, new_value, new_g, move, step):
                break
            step /= 2
        x, value, g = candidate, new_value, new_g
        history.append(value)
        if callback is not None:
            callback(iteration, x, value)
        if np.max(np.abs(move), initial=0.0) <= target * step:
            residuals = _analyse(x, unpack, lower, upper, data, tol, certify=False)[1]
            if max(residuals.values()) <= tol:
                return x, None, "converged"
            target /= 10   # the step is small but the KKT residuals are not yet: ask for a smaller step
        step *= 1.5
    return x, None, "max_iter"


def _value_and_grad_in_domain(x, data):
    """The loss and gradient at a trial point; (inf, None) outside the loss's domain (a matrix that
    must be factorised is singular there: log det of a design with too few points), so the step is
    shortened instead of the fit failing."""
    try:
        return value_and_grad(x, *data)
    except (ValueError, ArithmeticError):
        return np.inf, None
'''

FIT_LOW_RANK = '''def fit({signature}, *, {options}):
    """Minimise the loss over the box of the bounds{equalities_doc}.

    The loss is a convex quadratic phi(z) of the predictor z = {predictor} (k entries) plus a term
    linear in {x} (and terms d_j {x}_j^2, d >= 0), so its Hessian M diag(phi'') M^T (+ diag(d);
    M = {columns}) is a matrix of rank at most k plus a diagonal, and an n x n matrix is never formed.

    Primal-dual interior point (Mehrotra's predictor-corrector) with each Newton system solved by the
    Woodbury identity: one Cholesky factorisation of a k x k matrix per iteration, O(n k^2) work (as
    Ferris & Munson's interior point for massive SVMs); about 25 iterations whatever the
    conditioning. Then a crossover: coordinates the interior point puts on a bound are fixed there
    and the others solved exactly, and the point with the smaller KKT residual is kept. The start
    point is not used (an interior point starts inside the box); ``max_iter`` counts interior-point
    iterations (default 100).

    Returns (solution, info) with "status", "certificate", "multipliers", "residuals", "history" (the
    loss after each iteration) and "restarts", from the KKT analysis every constrained solver ends
    with: "optimal" only when the residuals are at most ``tol`` and the point is certified a minimum.
    {fallback_doc}
    """
    data = ({data})
    start = np.array({x}0, dtype=float)
    shape = np.shape(start)
    ((lower, upper),) = bounds(start, *data)
    lower, upper = np.ravel(lower).astype(float), np.ravel(upper).astype(float)
    columns = {columns}
    size, rank = np.shape(columns)
    curvature = np.broadcast_to(np.asarray(_link_curvature(np.zeros(rank), {rest_link}), dtype=float), (rank,))
    zero = np.zeros(shape)
    values, others = constraint_values(zero, *data)
    diagonal = {diagonal}
    boxed = np.all(np.isfinite(lower) | np.isfinite(upper)) and np.all(lower < upper)
    convex = np.all(curvature >= 0) and np.all(np.isfinite(curvature)) and np.all(diagonal >= 0) \\
        and np.all(np.isfinite(diagonal))
    if {fallback_if}not boxed or others.size or not convex or 2 * rank > size:
        {fallback_call}
    scaled = columns * np.sqrt(curvature)   # the Hessian is scaled @ scaled.T
    linear = np.ravel(grad(zero, *data))    # the gradient at 0: the loss is offset + linear.a + |scaled^T a|^2 / 2
    offset = loss(zero, *data)
    # the equalities h(a) = rows a - targets = 0 (affine): their rows from the Lagrangian's gradient
    rows = _active_jacobian((zero,), data, values.size, 0, np.zeros(0, dtype=int), linear).T
    problem = (scaled, diagonal, linear, rows, -values, lower, upper)

    def unpack(theta):
        return (theta.reshape(shape),)

    def run(theta, history):
        return _interior_point(problem, offset, 100 if max_iter is None else max_iter, tol, callback, history, shape)

    # the problem is convex (checked above): a restart could only repeat the same solve, and no dense Hessian
    # is needed to certify the minimum
    theta, info = _solve_with_restarts(run, np.ravel(start), unpack, lower, upper, data, tol, 0, convex=(
        "convex problem, checked on these data: the Hessian is M diag(phi'') M^T + diag(d) with phi'' >= 0 and "
        "d >= 0, and the constraints are bounds and affine equalities"))
    return theta.reshape(shape), info


def _interior_point(problem, offset, max_iter, tol, callback, history, shape):
    """min offset + linear.a + |scaled^T a|^2 / 2 + diagonal.a^2 / 2 over rows a = targets, lower <= a <= upper (every
    coordinate with a finite bound) by Mehrotra's predictor-corrector from inside the box (the
    equalities need not hold at the start): (a, (equality multipliers, no inequality ones), "converged" |
    "max_iter" | "stalled")."""
    scaled, diagonal, linear, rows, targets, lower, upper = problem
    has_lower, has_upper = np.isfinite(lower), np.isfinite(upper)
    width = np.where(has_lower & has_upper, upper - lower, 2.0)
    a = np.where(has_lower, lower + width / 2, upper - width / 2)   # the middle, or one unit inside
    slack_lower, slack_upper = np.where(has_lower, a - lower, 1.0), np.where(has_upper, upper - a, 1.0)
    product = scaled.T @ a
    gradient = scaled @ product + diagonal * a + linear
    dual_lower = np.where(has_lower, np.maximum(gradient, 0.0) + 1.0, 0.0)
    dual_upper = np.where(has_upper, np.maximum(-gradient, 0.0) + 1.0, 0.0)
    dual_equal = np.zeros(len(targets))
    count = np.count_nonzero(has_lower) + np.count_nonzero(has_upper)
    across = np.ascontiguousarray(scaled.T)
    scale = max(1.0, np.max(np.abs(linear), initial=0.0))
    outcome = "max_iter"
    for iteration in range(max_iter):
        residual = gradient - dual_lower + dual_upper + rows.T @ dual_equal
        violation = rows @ a - targets
        gap = (dual_lower @ slack_lower + dual_upper @ slack_upper) / count
        on_lower, on_upper = has_lower & (slack_lower < dual_lower), has_upper & (slack_upper < dual_upper)
        if gap <= 1e-4 * scale:
            # near the end the bounds that hold are known: the crossover may already be exact (3-4 iterations early)
            point = _crossover(problem, a, dual_equal, on_lower, on_upper)
            if _box_residual(problem, *point) <= tol:
                return point[0], (point[1], np.zeros(0)), "converged"
            if max(np.max(np.abs(residual), initial=0.0), np.max(np.abs(violation), initial=0.0)) <= tol * scale \\
                    and _box_residual(problem, np.clip(a, lower, upper), dual_equal) <= tol:
                return np.clip(a, lower, upper), (dual_equal, np.zeros(0)), "converged"
            # else iterate on: a smaller gap sorts out the coordinates nearly on a bound with a nearly zero gradient
        if not np.isfinite(gap):
            outcome = "stalled"
            break
        inverse = 1.0 / (dual_lower / slack_lower + dual_upper / slack_upper + diagonal)   # (barrier + diagonal)^-1
        weighted = across * np.sqrt(inverse)   # rows of k: the Gram product is much faster this way round
        small = weighted @ weighted.T
        small.flat[::small.shape[0] + 1] += 1.0
        factored = cho_factor(small)

        def solve(right):   # (scaled scaled^T + diag(1 / inverse))^-1 right, by Woodbury
            step = inverse * right
            step -= inverse * (scaled @ cho_solve(factored, scaled.T @ step, check_finite=False))
            return step

        through = np.column_stack([solve(row) for row in rows]) if len(rows) else np.zeros((len(a), 0))
        schur = rows @ through   # rows (H + D)^-1 rows^T: m x m

        def newton(centre_lower, centre_upper):
            # the step in a (and in the equality multipliers), then the dual steps from the complementarity rows
            right = -residual + np.where(has_lower, centre_lower / slack_lower - dual_lower, 0.0) \\
                - np.where(has_upper, centre_upper / slack_upper - dual_upper, 0.0)
            step = solve(right)
            step_equal = np.zeros(len(targets))
            if len(targets):
                step_equal = np.linalg.lstsq(schur, rows @ step + violation, rcond=None)[0]
                step = step - through @ step_equal
            step_lower = np.where(has_lower, (centre_lower - dual_lower * (slack_lower + step)) / slack_lower, 0.0)
            step_upper = np.where(has_upper, (centre_upper - dual_upper * (slack_upper - step)) / slack_upper, 0.0)
            return step, step_lower, step_upper, step_equal

        def longest(step, step_lower, step_upper):
            length = 1.0
            for value, change, mask in ((slack_lower, step, has_lower), (slack_upper, -step, has_upper),
                                        (dual_lower, step_lower, has_lower), (dual_upper, step_upper, has_upper)):
                falling = mask & (change < 0)
                if np.any(falling):
                    length = min(length, float(np.min(-value[falling] / change[falling])))
            return length

        step, step_lower, step_upper, _ = newton(0.0, 0.0)   # predictor: aim at the boundary
        length = longest(step, step_lower, step_upper)
        aimed = ((dual_lower + length * step_lower) @ (slack_lower + length * step) +
                 (dual_upper + length * step_upper) @ (slack_upper - length * step)) / count
        centre = (aimed / gap) ** 3 * gap
        step, step_lower, step_upper, step_equal = newton(centre - step * step_lower * has_lower,   # corrector
                                                          centre + step * step_upper * has_upper)
        length = min(1.0, 0.995 * longest(step, step_lower, step_upper))
        if length * np.max(np.abs(step), initial=0.0) <= 1e-15 * max(1.0, np.max(np.abs(a))):
            outcome = "stalled"
            break
        a = a + length * step
        slack_lower = np.where(has_lower, slack_lower + length * step, 1.0)
        slack_upper = np.where(has_upper, slack_upper - length * step, 1.0)
        dual_lower, dual_upper = dual_lower + length * step_lower, dual_upper + length * step_upper
        dual_equal = dual_equal + length * step_equal
        product = scaled.T @ a
        gradient = scaled @ product + diagonal * a + linear
        history.append(float(offset + linear @ a + (product @ product + diagonal @ (a * a)) / 2))
        if callback is not None:
            callback(iteration, a.reshape(shape), history[-1])
    on_lower, on_upper = has_lower & (slack_lower < dual_lower), has_upper & (slack_upper < dual_upper)
    best = min(((np.clip(a, lower, upper), dual_equal), _crossover(problem, a, dual_equal, on_lower, on_upper)),
               key=lambda point: _box_residual(problem, *point))
    if _box_residual(problem, *best) <= tol:
        outcome = "converged"
    # the equalities' multipliers go with the point: the analysis's least-squares estimate needs coordinates
    # off the bounds, and in a box narrower than its activity threshold (C = 1e-4) every one is near a bound
    return best[0], (best[1], np.zeros(0)), outcome


def _crossover(problem, a, dual_equal, on_lower, on_upper):
    """(point, equality multipliers): the coordinates on_lower / on_upper on their bounds and the
    others moved (the least change) so that the Lagrangian's gradient vanishes there and the
    equalities hold."""
    scaled, diagonal, linear, rows, targets, lower, upper = problem
    on_upper = on_upper & ~on_lower
    point = np.where(on_lower, lower, np.where(on_upper, upper, a))
    free = ~(on_lower | on_upper)
    count = np.count_nonzero(free)
    if not count:
        return point, dual_equal
    block, weights = scaled[free], diagonal[free]
    if len(targets) and count > 2000:
        return np.clip(point, lower, upper), dual_equal
    dual_equal = np.zeros(len(targets)) if len(targets) else dual_equal
    for _ in range(2):   # the second pass refines the first on its residual (the systems can be ill-conditioned)
        gradient = block @ (scaled.T @ point) + weights * point[free] + linear[free]
        if not len(targets) and not np.any(weights):   # block block^T change = -gradient: two least-squares solves
            middle = np.linalg.lstsq(block, -gradient, rcond=None)[0]
            point[free] += np.linalg.lstsq(block.T, middle, rcond=None)[0]
        elif not len(targets) and np.all(weights > 0):   # (diag(weights) + block block^T) change = -gradient, Woodbury
            small = block.T @ (block / weights[:, None])
            small.flat[::small.shape[0] + 1] += 1.0
            point[free] -= (gradient - block @ np.linalg.solve(small, block.T @ (gradient / weights))) / weights
        else:   # the KKT system of the free coordinates (and the equalities), dense
            sides = rows[:, free]
            system = np.block([[block @ block.T + np.diag(weights), sides.T],
                               [sides, np.zeros((len(targets), len(targets)))]])
            right = -np.concatenate([gradient + sides.T @ dual_equal, rows @ point - targets])
            solution = np.linalg.lstsq(system, right, rcond=None)[0]
            point[free] += solution[:count]
            dual_equal = dual_equal + solution[count:]
    return np.clip(point, lower, upper), dual_equal


def _box_residual(problem, point, dual_equal):
    """The largest entry of the projected step of the Lagrangian's gradient and of the equalities'
    violation: 0 exactly at the minimum."""
    scaled, diagonal, linear, rows, targets, lower, upper = problem
    gradient = scaled @ (scaled.T @ point) + diagonal * point + linear + rows.T @ dual_equal
    return float(max(np.max(np.abs(point - np.clip(point - gradient, lower, upper)), initial=0.0),
                     np.max(np.abs(rows @ point - targets), initial=0.0)))
'''

FIT_QP = '''def {name}({signature}, *, max_iter=20000, tol=1e-8, rho=0.1, restarts=0, callback=None, max_size=3000):
    """Solve the quadratic program (quadratic loss, affine constraints) by ADMM in the splitting OSQP
    uses (one Cholesky factorisation, refactored only when the penalty adapts), then Newton steps on
    the KKT equations of the active set for the last digits.

    Returns (solution, info) with "status", "certificate", "multipliers", "residuals", "history"
    (the loss at each residual check) and "restarts", as the augmented Lagrangian's fit does.
    The method works on the dense n x n matrix of the quadratic: with more than ``max_size``
    unknowns it raises a ValueError that says what to use instead.
    """
    starts = tuple(np.array(p, dtype=float) for p in ({starts}))
    data = ({data})
    lower, upper, unpack = _layout(starts, data)
    if lower.size > max_size:   # the SVM dual with 4000 unknowns took 710 s here
        raise ValueError(f"{{lower.size}} unknowns: the qp solver works on the dense {{lower.size}} x {{lower.size}} "
                         f"matrix of the quadratic (O(n^3) to factorise, O(n^2) an iteration; max_size={{max_size}}). "
                         "For bounds on a loss phi(Z^T a) + c^T a with phi quadratic, such as the SVM dual, the "
                         "default optimizer ('projected') solves through the Hessian's low rank; optimizer='auglag' "
                         "forms no n x n matrix. Pass a larger max_size to run qp anyway.")

    def run(theta, history):
        return _admm(theta, unpack, lower, upper, data, max_iter, tol, rho, callback, history)

    theta, info = _solve_with_restarts(run, _flat(starts), unpack, lower, upper, data, tol, restarts)
    if info["status"] == "infeasible":
        rows, low, high, boxed = _affine_rows(theta.size, unpack, lower, upper, data)[2:]
        _, violation, farkas = _least_violation(rows, low, high, lower, upper, boxed)
        info["farkas"] = farkas
        info["certificate"] = (f"the constraints have no common point: their least total violation (a linear "
                               f"program, HiGHS) is {{violation:.3g}}, at the returned point; info['farkas'] prices "
                               f"their limits so that they add up to 0 <= -{{violation:.3g}}")
    params = unpack(theta)
    return {result}, info


def _affine_rows(size, unpack, lower, upper, data):
    """The quadratic program's data: Hessian and linear term of the loss, constraint rows with their
    lower and upper values (low <= rows x <= high; equalities have low == high), which variables
    have bounds."""
    zero = np.zeros(size)
    h0, g0 = constraint_values(*unpack(zero), *data)
    linear = _flat(grad(*unpack(zero), *data))
    hessian = np.asarray(lagrangian_hess(*unpack(zero), *data, lam=np.zeros(h0.size), mu=np.zeros(g0.size)))
    rows = _active_jacobian(unpack(zero), data, h0.size, g0.size, np.arange(g0.size), linear).T
    low = np.concatenate([-h0, np.full(g0.size, -np.inf)])
    high = np.concatenate([-h0, -g0])
    boxed = np.isfinite(lower) | np.isfinite(upper)
    return hessian, linear, rows, low, high, boxed


def _least_violation(rows, low, high, lower, upper, boxed):
    """The point of least total violation of low <= rows x <= high and the bounds (a linear program
    with one slack per row and bound), the violation, and a Farkas certificate: prices "upper" and
    "lower" >= 0 of the limits of [rows; I] (the constraint rows, equalities first, then the bounded
    variables) with (upper - lower)^T [rows; I] = 0 and upper . high - lower . low = -violation (the
    LP's duals): a point meeting every limit would give 0 <= -violation."""
    matrix = np.vstack([rows, np.eye(rows.shape[1])[boxed]])
    floor, ceiling = np.concatenate([low, lower[boxed]]), np.concatenate([high, upper[boxed]])
    count, size = matrix.shape
    up, down = np.isfinite(ceiling), np.isfinite(floor)
    slack = np.eye(count)
    a_ub = np.vstack([np.hstack([matrix[up], -slack[up]]), np.hstack([-matrix[down], -slack[down]])])
    b_ub = np.concatenate([ceiling[up], -floor[down]])
    result = linprog(np.concatenate([np.zeros(size), np.ones(count)]), A_ub=a_ub, b_ub=b_ub,
                     bounds=[(None, None)] * size + [(0, None)] * count, method="highs")
    duals = -result.ineqlin.marginals   # >= 0: the price of each limit
    prices = {{"upper": np.zeros(count), "lower": np.zeros(count)}}
    prices["upper"][up] = duals[:np.count_nonzero(up)]
    prices["lower"][down] = duals[np.count_nonzero(up):]
    return result.x[:size], float(result.fun), prices


def _admm(theta, unpack, lower, upper, data, max_iter, tol, rho, callback, history, sigma=1e-6, alpha=1.6):
    """ADMM from theta: (theta, (lam, mu), "converged" | "max_iter" | "infeasible"); when the
    constraints have no common point, theta is the point of least total violation."""
    hessian, linear, rows, low, high, boxed = _affine_rows(theta.size, unpack, lower, upper, data)
    equalities = np.count_nonzero(np.isfinite(low))   # the first rows; an inequality row has no lower value
    equal = np.concatenate([low == high, lower[boxed] == upper[boxed]])
    weights = np.where(equal, 1e3 * rho, rho)   # equalities get a stiffer penalty, as in OSQP

    def factor(weights):
        matrix = hessian + sigma * np.eye(theta.size) + rows.T @ (weights[:rows.shape[0], None] * rows)
        matrix[boxed, boxed] += weights[rows.shape[0]:]
        try:
            return cho_factor(matrix)
        except np.linalg.LinAlgError:
            raise ValueError("the quadratic is not convex on these data: ADMM's matrix P + sigma I + A^T W A is not "
                             "positive definite (P, the loss's Hessian, is indefinite); optimizer='auglag' finds a "
                             "KKT point and says whether it is a minimum") from None

    def apply(x):
        return np.concatenate([rows @ x, x[boxed]])

    def transpose(v):
        out = rows.T @ v[:rows.shape[0]]
        out[boxed] += v[rows.shape[0]:]
        return out

    if not _feasible(rows, low, high, lower, upper):
        point = _least_violation(rows, low, high, lower, upper, boxed)[0]
        return point, (np.zeros(equalities), np.zeros(rows.shape[0] - equalities)), "infeasible"
    floor, ceiling = np.concatenate([low, lower[boxed]]), np.concatenate([high, upper[boxed]])
    factored = factor(weights)
    x = theta.copy()
    z = np.clip(apply(x), floor, ceiling)
    y = np.zeros(z.size)
    outcome, tried = "max_iter", None
    for iteration in range(max_iter):
        # the factor was checked when it was made: checking all n^2 entries again each iteration doubled its cost
        x_step = cho_solve(factored, sigma * x - linear + transpose(weights * z - y), check_finite=False)
        z_step = apply(x_step)
        x = alpha * x_step + (1 - alpha) * x
        relaxed = alpha * z_step + (1 - alpha) * z
        z = np.clip(relaxed + y / weights, floor, ceiling)
        y = y + weights * (relaxed - z)
        if iteration % 25 == 24:
            applied = apply(x)
            primal = np.max(np.abs(applied - z), initial=0.0)
            dual = np.max(np.abs(hessian @ x + linear + transpose(y)), initial=0.0)
            history.append(loss(*unpack(x), *data))
            if callback is not None:
                callback(len(history) - 1, unpack(x), history[-1])
            lam, mu = y[:equalities], np.maximum(y[equalities:rows.shape[0]], 0.0)
            guess = tuple(np.flatnonzero(np.abs(applied - ceiling) <= 1e-6)) + \
                tuple(np.flatnonzero(np.abs(applied - floor) <= 1e-6) + applied.size)
            if max(primal, dual) <= max(1e-4, tol) and (guess != tried or max(primal, dual) <= tol):
                # the active set shows: Newton steps on its KKT equations (again only when it changes)
                tried = guess
                polished, lam, mu, residual = _polish(x, unpack, lower, upper, data, tol, lam, mu)
                if residual <= tol:
                    return polished, (lam, mu), "converged"
            scale_primal = primal / max(np.max(np.abs(applied)), np.max(np.abs(z)), 1e-30)
            scale_dual = dual / max(np.max(np.abs(hessian @ x)), np.max(np.abs(transpose(y))),
                                    np.max(np.abs(linear)), 1e-30)
            ratio = np.sqrt(scale_primal / max(scale_dual, 1e-30))
            if ratio > 5 or ratio < 0.2:   # rebalance the penalty (OSQP's rule) and refactor
                weights = np.clip(weights * min(max(ratio, 1e-3), 1e3), 1e-6, 1e6)
                factored = factor(weights)
    return x, (y[:equalities], np.maximum(y[equalities:rows.shape[0]], 0.0)), outcome


def _feasible(rows, low, high, lower, upper):
    """Whether low <= rows x <= high and lower <= x <= upper have a solution (a linear program with a
    zero objective, by HiGHS)."""
    equal = low == high
    result = linprog(np.zeros(rows.shape[1]), A_ub=rows[~equal] if np.any(~equal) else None,
                     b_ub=high[~equal] if np.any(~equal) else None, A_eq=rows[equal] if np.any(equal) else None,
                     b_eq=high[equal] if np.any(equal) else None,
                     bounds=[(None if np.isinf(a) else a, None if np.isinf(b) else b) for a, b in zip(lower, upper)])
    return result.status != 2
'''


ANALYSIS = '''def _accept(value, g, new_value, new_g, move, step):
    """Backtracking test of a step: the loss decreases as its quadratic model with curvature 1/step
    promises; where the change of the loss is lost in rounding, the gradients must change no faster
    than that curvature allows (a local Lipschitz estimate)."""
    if not np.isfinite(new_value):   # outside the domain: never accepted
        return False
    if new_value <= value + g @ move + (move @ move) / (2 * step) or step < 1e-20:
        return True
    rounding = abs(new_value - value) <= 1e-12 * max(1.0, abs(value))
    return rounding and (new_g - g) @ move <= (move @ move) / step


def _crossed_bounds(lower, upper):
    """The info of a problem whose bounds contradict each other (a lower bound above its upper bound)."""
    residuals = {"stationarity": np.nan, "feasibility": float(np.max(lower - upper)), "complementarity": np.nan}
    return {"multipliers": {}, "residuals": residuals, "status": "infeasible",
            "certificate": "the bounds contradict each other", "history": [], "restarts": 0}


def _layout(starts, data):
    """The bounds as flat vectors, and the function that splits a flat vector into the parameters."""
    shapes = [np.shape(p) for p in starts]
    sizes = [int(np.prod(s)) for s in shapes]
    box = bounds(*starts, *data)
    lower = np.concatenate([np.ravel(low) for low, _ in box])
    upper = np.concatenate([np.ravel(high) for _, high in box])

    def unpack(theta):
        pieces = np.split(theta, np.cumsum(sizes)[:-1])
        return tuple(piece.reshape(shape) for piece, shape in zip(pieces, shapes))
    return lower, upper, unpack


def _flat(parts):
    """One flat vector from a parameter, or a tuple of them."""
    parts = parts if isinstance(parts, tuple) else (parts,)
    return np.concatenate([np.ravel(p) for p in parts])


RANK = {"optimal": 0, "kkt point": 1, "stalled": 2, "max_iter": 3, "undefined": 4, "diverged": 5, "infeasible": 6}
FAILED = {"max_iter": "the iterations ran out before the KKT residuals reached the tolerance",
          "undefined": "the loss or its gradient is nan all around the point: outside the loss's domain (a log of a "
                       "negative number?) or at a kink (a norm at 0: start elsewhere)",
          "diverged": "the iterates grew without bound while the loss fell: the problem may be unbounded below on the "
                      "feasible set; no minimum was found",
          "stalled": "the method stopped making progress before the KKT residuals reached the tolerance (where "
                     "the constraints are nearly met, multipliers may not exist: LICQ may fail at the minimum)",
          "infeasible": "the constraint violation stays with the penalty at its cap: no feasible point was found"}


def _solve_with_restarts(run, theta, unpack, lower, upper, data, tol, restarts, convex=None):
    """Run the method; from a point that is not a minimum, restart along its negative-curvature
    direction (at most ``restarts`` times). Returns the best (theta, info) by status, then loss.
    ``convex``: why the problem is convex when the method checked it on the data (else None)."""
    best, history = None, []
    for attempt in range(restarts + 1):
        theta, own, outcome = run(theta, history)
        multipliers, residuals, status, certificate, direction = _analyse(theta, unpack, lower, upper, data, tol,
                                                                          own=own, convex=convex)
        if outcome != "converged" or max(residuals.values()) > tol:
            status = outcome if outcome in FAILED else "stalled"
            certificate, direction = f"{FAILED[status]} ({tol:g})", None
        info = {"multipliers": multipliers, "residuals": residuals, "status": status, "certificate": certificate,
                "history": history, "restarts": attempt}
        value = loss(*unpack(theta), *data)
        if best is None or (RANK[status], value) < (RANK[best[1]["status"]], best[2]):
            best = (theta, info, value)
        if direction is None:
            break
        scale = max(1.0, np.max(np.abs(theta)))
        theta = np.clip(theta + 0.5 * scale * direction / np.max(np.abs(direction)), lower, upper)
    return best[0], best[1]


def _analyse(theta, unpack, lower, upper, data, tol, own=None, certify=True, convex=None):
    """KKT analysis of a point: multipliers by least squares on the active set (or the method's own
    ``own`` = (lam, mu) when those fit better), the residuals, the status with its certificate, and a
    direction of negative curvature when the point is not a minimum (else None)."""
    params = unpack(theta)
    h, g = constraint_values(*params, *data)
    gradient = _flat(grad(*params, *data))
    near = max(1e-6, np.sqrt(tol))   # how close to a bound or a constraint counts as active
    with np.errstate(invalid="ignore"):   # infinite bounds are never active
        at_lower = np.isfinite(lower) & (theta - lower <= near * np.maximum(1.0, np.abs(lower)))
        at_upper = np.isfinite(upper) & (upper - theta <= near * np.maximum(1.0, np.abs(upper)))
    active = np.nonzero(g >= -near)[0]
    jacobian = _active_jacobian(params, data, h.size, g.size, active, gradient)
    candidates = [_least_squares_multipliers(jacobian, gradient, h.size, active, g.size, at_lower | at_upper)]
    if own is not None:
        candidates.append(own)
    results = [_kkt_residuals(theta, params, lam, mu, h, g, at_lower, at_upper, lower, upper, data)
               for lam, mu in candidates]
    choice = min(range(len(results)), key=lambda k: max(results[k][1].values()))
    lam, mu = candidates[choice]
    multipliers, residuals = results[choice]
    if not certify:
        return multipliers, residuals, None, None, None
    status, certificate, direction = _certify(theta, params, lam, mu, multipliers, jacobian, active, h.size,
                                              at_lower | at_upper, data, convex)
    return multipliers, residuals, status, certificate, direction


def _polish(theta, unpack, lower, upper, data, tol, lam, mu, steps=2):
    """Newton steps on the KKT equations of the active set (bounds held where the point is on
    them); the active set is guessed twice: bounds within reach (sqrt(tol)), then only bounds the
    point is on. Returns the best (theta, lam, mu, largest KKT residual) seen."""
    multipliers, residual = _measure(theta, unpack, lower, upper, data, tol, lam, mu)
    best = (theta, lam, mu, residual)
    if not HAS_HESSIAN or theta.size > 3000:
        return best
    start = (theta, multipliers)
    for reach in (max(1e-6, np.sqrt(tol)), 1e-12):
        theta, multipliers = start
        for _ in range(steps):
            theta, lam, mu = _newton_step(theta, unpack, lower, upper, data, reach, multipliers)
            multipliers, residual = _measure(theta, unpack, lower, upper, data, tol, lam, mu)
            if residual < best[3]:
                best = (theta, lam, mu, residual)
            if residual <= tol:
                return best
    return best


def _measure(theta, unpack, lower, upper, data, tol, lam, mu):
    multipliers, residuals = _analyse(theta, unpack, lower, upper, data, tol, own=(lam, mu), certify=False)[:2]
    return multipliers, max(residuals.values())


def _newton_step(theta, unpack, lower, upper, data, reach, multipliers):
    """One Newton step on the KKT equations with the bounds within ``reach`` held and the
    inequalities within ``reach`` active; returns (theta, lam, mu)."""
    lam, mu = multipliers["lam"], multipliers["mu"]
    with np.errstate(invalid="ignore"):   # infinite bounds are never within reach
        held_lower = np.isfinite(lower) & (theta - lower <= reach * np.maximum(1.0, np.abs(lower)))
        held_upper = np.isfinite(upper) & (upper - theta <= reach * np.maximum(1.0, np.abs(upper)))
    theta = np.where(held_lower, lower, np.where(held_upper, upper, theta))
    free = ~(held_lower | held_upper)
    params = unpack(theta)
    h, g = constraint_values(*params, *data)
    active = np.nonzero(g >= -max(reach, 1e-6))[0]
    gradient = _flat(grad(*params, *data))
    jacobian = _active_jacobian(params, data, h.size, g.size, active, gradient)[free]
    hessian = np.asarray(lagrangian_hess(*params, *data, lam=lam, mu=mu), dtype=float)[np.ix_(free, free)]
    count = jacobian.shape[1]
    system = np.block([[hessian, jacobian], [jacobian.T, np.zeros((count, count))]])
    right = -np.concatenate([_flat(lagrangian_grad(*params, *data, lam=lam, mu=mu))[free], h, g[active]])
    try:
        solution = np.linalg.solve(system, right)   # nonsingular under LICQ and second-order sufficiency
    except np.linalg.LinAlgError:
        solution = np.linalg.lstsq(system, right, rcond=None)[0]
    theta[free] = np.clip(theta[free] + solution[:free.sum()], lower[free], upper[free])
    change = solution[free.sum():]
    mu = mu.copy()
    mu[active] = np.maximum(0.0, mu[active] + change[h.size:])
    return theta, lam + change[:h.size], mu


def _active_jacobian(params, data, equalities, inequalities, active, gradient):
    """Columns J^T e_k for the equalities and the active inequalities (the Lagrangian's gradient is
    linear in the multipliers)."""
    columns = []
    for k in range(equalities + active.size):
        lam, mu = np.zeros(equalities), np.zeros(inequalities)
        if k < equalities:
            lam[k] = 1.0
        else:
            mu[active[k - equalities]] = 1.0
        columns.append(_flat(lagrangian_grad(*params, *data, lam=lam, mu=mu)) - gradient)
    return np.column_stack(columns) if columns else np.zeros((gradient.size, 0))


def _least_squares_multipliers(jacobian, gradient, equalities, active, inequalities, at_bound):
    """lam and mu (mu >= 0) minimising the stationarity residual on the coordinates off the bounds."""
    lam, mu = np.zeros(equalities), np.zeros(inequalities)
    free = ~at_bound
    if jacobian.shape[1] and np.any(free):
        if active.size:
            low = np.concatenate([np.full(equalities, -np.inf), np.zeros(active.size)])
            estimate = lsq_linear(jacobian[free], -gradient[free], bounds=(low, np.inf)).x
        else:
            estimate = np.linalg.lstsq(jacobian[free], -gradient[free], rcond=None)[0]
        lam, mu[active] = estimate[:equalities], estimate[equalities:]
    return lam, mu


def _kkt_residuals(theta, params, lam, mu, h, g, at_lower, at_upper, lower, upper, data):
    """The bound multipliers that close stationarity where a bound is active, and the three residuals."""
    combined = _flat(lagrangian_grad(*params, *data, lam=lam, mu=mu))
    lower_multiplier = np.where(at_lower, np.maximum(combined, 0.0), 0.0)
    upper_multiplier = np.where(at_upper, np.maximum(-combined, 0.0), 0.0)
    stationarity = combined - lower_multiplier + upper_multiplier
    # complementarity: the larger of min(multiplier, distance) and their product. "Near" a bound is within
    # sqrt(tol), and the product of two numbers of that size passed tol at a point 5e-5 off a bound whose
    # minimum was 1e-5 off it; the product still catches a huge multiplier on a tiny violation (LICQ fails)
    gaps = np.concatenate([_complementarity(lower_multiplier[at_lower], (theta - lower)[at_lower]),
                           _complementarity(upper_multiplier[at_upper], (upper - theta)[at_upper]),
                           _complementarity(mu, g)])
    outside = np.concatenate([np.abs(h), g, lower - theta, theta - upper])
    residuals = {"stationarity": float(np.max(np.abs(stationarity), initial=0.0)),
                 "feasibility": float(np.max(outside, initial=0.0)),
                 "complementarity": float(np.max(np.abs(gaps), initial=0.0))}
    multipliers = {"lam": lam, "mu": mu, "lower": lower_multiplier, "upper": upper_multiplier}
    return multipliers, residuals


def _complementarity(multiplier, distance):
    """Entrywise max(min(multiplier, |distance|), multiplier |distance|): zero exactly where one of them is."""
    distance = np.abs(distance)
    return np.maximum(np.minimum(multiplier, distance), multiplier * distance)


def _certify(theta, params, lam, mu, multipliers, jacobian, active, equalities, at_bound, data, convex=None):
    """(status, certificate, negative-curvature direction or None) at a KKT point."""
    if CONVEXITY is not None or convex is not None:
        return "optimal", "global minimum: " + (CONVEXITY or convex), None
    if not HAS_HESSIAN:
        return "kkt point", "not certified: symgd could not generate the Hessian of the Lagrangian", None
    if theta.size > 3000:
        return "kkt point", f"not certified: no second-order test for {theta.size} unknowns (at most 3000)", None
    hessian = np.asarray(lagrangian_hess(*params, *data, lam=lam, mu=mu), dtype=float)
    if not np.all(np.isfinite(hessian)):   # a kink (a norm at 0) or the edge of the loss's domain
        return "kkt point", "not certified: the Lagrangian's Hessian is not finite at this point", None
    hessian = (hessian + hessian.T) / 2
    size = max(1.0, np.max(np.abs(hessian)))
    if QUADRATIC and _positive_semidefinite(hessian, 1e-9 * size):
        return "optimal", ("global minimum: the objective and the constraints are quadratic or affine and the "
                           "Lagrangian's Hessian at these multipliers is positive semidefinite (checked numerically), "
                           "so the point minimises the Lagrangian and no feasible point has a smaller loss"), None
    # second-order sufficient: positive definite where every strongly active constraint stays active
    strong = np.concatenate([np.ones(equalities, dtype=bool), mu[active] > 1e-8 * size])
    bound_strong = (multipliers["lower"] > 1e-8 * size) | (multipliers["upper"] > 1e-8 * size)
    smallest, _ = _curvature(hessian, jacobian[:, strong], ~bound_strong)
    if smallest > 1e-8 * size:
        return "optimal", ("local minimum (second-order sufficient): the Lagrangian's Hessian is positive definite "
                           f"on the critical cone of the active constraints (smallest curvature {smallest:.3g})"), None
    # a negative direction tangent to every active constraint: not a minimum
    smallest, direction = _curvature(hessian, jacobian, ~at_bound)
    if smallest < -1e-8 * size:
        return "kkt point", ("saddle or maximum: the Lagrangian's Hessian has a negative direction along the active "
                             f"constraints (curvature {smallest:.3g})"), direction
    return "kkt point", ("second-order test inconclusive: the Lagrangian's Hessian is only positive semidefinite "
                         f"on the critical cone (smallest curvature {smallest:.3g})"), None


def _positive_semidefinite(matrix, shift):
    """Numerically positive semidefinite: a Cholesky factorisation exists after a small shift."""
    try:
        np.linalg.cholesky(matrix + shift * np.eye(matrix.shape[0]))
    except np.linalg.LinAlgError:
        return False
    return True


def _curvature(hessian, columns, keep):
    """The smallest eigenvalue of the Hessian on {d : columns^T d = 0, d = 0 off ``keep``} and its
    direction in the full space ((inf, None) when that space is {0})."""
    reduced = columns[keep]
    basis = np.eye(int(keep.sum()))
    if reduced.shape[1]:
        left, singular, _ = np.linalg.svd(reduced, full_matrices=True)
        rank = int(np.sum(singular > 1e-10 * max(1.0, np.max(singular, initial=0.0))))
        basis = left[:, rank:]
    if basis.shape[1] == 0:
        return np.inf, None
    values, vectors = np.linalg.eigh(basis.T @ hessian[np.ix_(keep, keep)] @ basis)
    direction = np.zeros(hessian.shape[0])
    direction[keep] = basis @ vectors[:, 0]
    return values[0], direction
'''

DENSE = '''def _dense(blocks, shapes):
    """One matrix from the Hessian blocks [i][j] (each of shape shapes[i] + shapes[j])."""
    sizes = [int(np.prod(shape)) for shape in shapes]
    return np.block([[np.reshape(np.broadcast_to(block, shapes[i] + shapes[j]), (sizes[i], sizes[j]))
                      for j, block in enumerate(row)] for i, row in enumerate(blocks)])
'''
