"""I.i.d. matrix entries with zero mean and unit variance, by name.

`sample(name, shape, rng=..., **params)` draws them; `fourth_moment(name, **params)`
reports E x^4 (infinite where it does not exist). Universality results
(Pastur & Slavin 2020) hold for any law here with a finite fourth moment; the
symmetric Pareto law with ``alpha <= 4`` is the counterexample family.

Laws and parameters:

- ``gaussian``: N(0, 1); E x^4 = 3.
- ``rademacher``: +-1 with probability 1/2; E x^4 = 1.
- ``uniform``: U(-sqrt 3, sqrt 3); E x^4 = 9/5.
- ``student_t``: Student t with ``nu > 2`` degrees of freedom, divided by
  sqrt(nu / (nu - 2)); E x^4 = 3 (nu - 2) / (nu - 4) for nu > 4, else infinite.
- ``sparse``: B g / sqrt(p), B ~ Bernoulli(p), g ~ N(0, 1), ``0 < p <= 1``; E x^4 = 3 / p.
- ``pareto_symmetric``: S U^(-1/alpha) with S a random sign and U ~ U(0, 1)
  (P(|x| > t) = t^-alpha for t >= 1), divided by sqrt(alpha / (alpha - 2)) when
  ``alpha > 2`` (then unit variance); for ``0 < alpha <= 2`` the variance is
  infinite and the law is left unscaled. E x^4 = (alpha - 2)^2 / (alpha (alpha - 4))
  for alpha > 4, else infinite.
"""

import numbers

import numpy as np

from rmtlib._numerics import validate as _validate

#: Names of the entry laws accepted by `sample` and `fourth_moment`.
NAMES = ("gaussian", "rademacher", "uniform", "student_t", "sparse", "pareto_symmetric")

_PARAMS = {
    "gaussian": (),
    "rademacher": (),
    "uniform": (),
    "student_t": ("nu",),
    "sparse": ("p",),
    "pareto_symmetric": ("alpha",),
}


def _check(name, params):
    """Validate the law name and its parameters; return the parameters as floats."""
    _validate.choice("name", name, NAMES)
    expected = _PARAMS[name]
    unknown = set(params) - set(expected)
    missing = set(expected) - set(params)
    if unknown or missing:
        raise ValueError(
            f"entry law {name!r} takes parameters {list(expected) or 'none'}, got {sorted(params) or 'none'}"
        )
    if name == "student_t":
        return {"nu": _validate.real("nu", params["nu"], low=2.0, low_open=True)}
    if name == "sparse":
        return {"p": _validate.real("p", params["p"], low=0.0, high=1.0, low_open=True)}
    if name == "pareto_symmetric":
        return {"alpha": _validate.positive("alpha", params["alpha"])}
    return {}


def resolve(spec, *, name="entries"):
    """Split an entry-law spec into ``(law name, parameters)``, validating both.

    Parameters
    ----------
    spec : str or (str, dict)
        A name of :data:`NAMES`, or a pair ``(name, {parameter: value})``.
    name : str
        The caller's parameter name, used in error messages.

    Returns
    -------
    (str, dict)
    """
    if isinstance(spec, str):
        law, params = spec, {}
    elif isinstance(spec, (tuple, list)) and len(spec) == 2 and isinstance(spec[1], dict):
        law, params = spec
    else:
        raise ValueError(f"{name} must be a law name of rmtlib.entries or a pair (name, {{parameters}}), "
                         f"got {spec!r}")
    try:
        _check(law, params)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name}: {exc}") from None
    return law, dict(params)


def _shape(shape):
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (int(shape),)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"shape must be an integer or a tuple of integers, got {shape!r}")
    shape = tuple(shape)
    for k, s in enumerate(shape):
        _validate.dimension(f"shape[{k}]", s, low=0)
    return shape


def sample(name, shape, *, rng, **params):
    """Draw an array of i.i.d. zero-mean, unit-variance entries of the named law.

    Parameters
    ----------
    name : str
        One of `NAMES`.
    shape : int or tuple of int
        Shape of the array.
    rng : numpy.random.Generator or int
        Random source; the same seed gives the same array.
    **params
        The law's parameters (``nu`` for student_t, ``p`` for sparse, ``alpha``
        for pareto_symmetric).

    Returns
    -------
    numpy.ndarray
        Float array of the given shape.
    """
    params = _check(name, params)
    shape = _shape(shape)
    gen = _validate.as_generator(rng)
    if name == "gaussian":
        return gen.standard_normal(shape)
    if name == "rademacher":
        return 2.0 * gen.integers(0, 2, size=shape).astype(float) - 1.0
    if name == "uniform":
        return gen.uniform(-np.sqrt(3.0), np.sqrt(3.0), size=shape)
    if name == "student_t":
        nu = params["nu"]
        return gen.standard_t(nu, size=shape) / np.sqrt(nu / (nu - 2.0))
    if name == "sparse":
        p = params["p"]
        mask = gen.random(shape) < p
        return np.where(mask, gen.standard_normal(shape), 0.0) / np.sqrt(p)
    alpha = params["alpha"]
    signs = 2.0 * gen.integers(0, 2, size=shape).astype(float) - 1.0
    magnitude = (1.0 - gen.random(shape)) ** (-1.0 / alpha)
    scale = np.sqrt(alpha / (alpha - 2.0)) if alpha > 2.0 else 1.0
    return signs * magnitude / scale


def fourth_moment(name, **params):
    """Return E x^4 of the named unit-variance law (``inf`` where it is infinite).

    Parameters
    ----------
    name : str
        One of `NAMES`.
    **params
        The law's parameters, as for `sample`.

    Returns
    -------
    float
    """
    params = _check(name, params)
    if name == "gaussian":
        return 3.0
    if name == "rademacher":
        return 1.0
    if name == "uniform":
        return 9.0 / 5.0
    if name == "student_t":
        nu = params["nu"]
        return 3.0 * (nu - 2.0) / (nu - 4.0) if nu > 4.0 else np.inf
    if name == "sparse":
        return 3.0 / params["p"]
    alpha = params["alpha"]
    return (alpha - 2.0) ** 2 / (alpha * (alpha - 4.0)) if alpha > 4.0 else np.inf


def has_unit_variance(name, **params):
    """Return True when the named law has variance exactly 1 (False for pareto_symmetric, alpha <= 2)."""
    params = _check(name, params)
    return not (name == "pareto_symmetric" and params["alpha"] <= 2.0)
