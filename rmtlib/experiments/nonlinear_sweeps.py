"""Size sweeps of the nonlinear chapter: moments of the Gram matrix of f(WX), and layers against width.

The statistical checks of notebooks/nonlinear.ipynb rest on statistics that are linear in the
spectrum, measured over independent seeds at three or more sizes so that their finite-size bias can
be fitted (mean(n) = a + b/n) and its intercept a compared with the theory:

- `moment_draws` (simulation): the first two moments of M = Y Y^T / m for every density case of
  `rmtlib.experiments.nonlinear.density_draws`, at each of ``moment_sizes``, ``seeds`` seeds
  each; `moment_study` adds the theory's moments (through `rmtlib.experiments.theory`).
- `width_draws` (simulation): the eigenvalues of the last layer of f_alpha networks at each of
  ``layer_widths``; `width_study` turns them into linear statistics and KS distances against the
  layer laws.
"""

import numpy as np

from rmtlib import spectra
from rmtlib.experiments.cache import simulation
from rmtlib.experiments.mapper import map_tasks
from rmtlib.experiments.nonlinear import DEFAULTS, density_cases, layer_laws, law, sizes
from rmtlib.models import layers, nonlinear as nl

__all__ = ["LAYER_STATISTICS", "ORDERS", "SWEEP_DEFAULTS", "gram_moments", "last_layer_task", "law_mean", "moment_task",
           "moment_draws", "moment_study", "width_draws", "width_study"]

SWEEP_DEFAULTS = {
    "moment_sizes": [200, 400, 800],
    "layer_widths": [125, 250, 500],
    "seeds": 12,
    "width_seeds": 24,
}
"""Sizes and seeds of the sweeps (the notebook's parameters of the same names)."""

ORDERS = (1, 2)
"""The moments m_k = tr M^k / n1 that the sweeps measure."""


def _settings(settings):
    return {**DEFAULTS, **SWEEP_DEFAULTS, **settings}


def gram_moments(Y):
    """The first two moments tr M / n1 and tr M^2 / n1 of M = Y Y^T / m, without eigenvalues.

    Parameters
    ----------
    Y : ndarray, shape (n1, m)

    Returns
    -------
    ndarray, shape (2,)

    Notes
    -----
    tr M = ||Y||_F^2 / m and tr M^2 = ||Y Y^T||_F^2 / m^2 = ||Y^T Y||_F^2 / m^2 (the smaller Gram
    matrix is formed).
    """
    n1, m = Y.shape
    gram = Y @ Y.T if n1 <= m else Y.T @ Y
    return np.array([np.sum(Y * Y) / (m * n1), np.sum(gram * gram) / (m * m * n1)])


def _features(case, n0, rng):
    """Y for one density case (activation, phi, psi, kind) at size n0."""
    act, phi, psi, kind = case
    n1, m = sizes(n0, phi, psi)
    if kind == "equivalent":
        eta, zeta = nl.eta_zeta(act)
        linear = nl.sample_features("linear", n0=n0, n1=n1, m=m, rng=rng)  # W X, W of variance 1/n0
        return np.sqrt(zeta) * linear + np.sqrt(eta - zeta) * rng.standard_normal((n1, m))
    return nl.sample_features(act, n0=n0, n1=n1, m=m, rng=rng, w_entries=kind)


@simulation
def moment_draws(settings, seed):
    """m1 and m2 of the Gram matrix for every density case, size and seed.

    Parameters
    ----------
    settings : dict
        ``activations``, ``shapes``, ``moment_sizes`` and ``seeds`` (missing keys take `DEFAULTS`
        and `SWEEP_DEFAULTS`).
    seed : int
        Root seed (case j, size i, draw r: ``SeedSequence([seed, 3, j, i, r])``).

    Returns
    -------
    dict
        (activation, phi, psi, kind) -> ndarray (sizes, seeds, 2) of (m1, m2).
    """
    s = _settings(settings)
    cases, sizes_, count = density_cases(s), s["moment_sizes"], s["seeds"]
    tasks = [(case, n0, np.random.SeedSequence([seed, 3, j, i, r]))
             for j, case in enumerate(cases) for i, n0 in enumerate(sizes_) for r in range(count)]
    drawn = np.array(map_tasks(moment_task, tasks, label="nonlinear moments"))
    return dict(zip(cases, drawn.reshape(len(cases), len(sizes_), count, -1)))


def moment_task(task):
    """(m1, m2) of one Gram matrix, task ``(case, n0, seed)`` of :func:`moment_draws`."""
    case, n0, ss = task
    return gram_moments(_features(case, n0, np.random.default_rng(ss)))


def moment_study(settings, seed):
    """The simulated moments of `moment_draws` with the theory's moments (perturbed in power runs).

    Parameters
    ----------
    settings, seed
        As for `moment_draws`.

    Returns
    -------
    dict
        ``sizes`` (n0 values), ``cases`` {(activation, phi, psi, kind): {k: (per-size values, theory
        m_k)}} for k in `ORDERS`.

    Notes
    -----
    The theory's m1 = eta and m2 = eta^2 (1 + c) + zeta^2 / psi, c = phi / psi (closed forms of
    the quartic law, book/derivations.md, eq. (alg-pw-moments)), through `theory.moment`.
    """
    s = _settings(settings)
    out = {}
    for case, values in moment_draws(s, seed).items():
        pw = law(*case[:3])
        out[case] = {k: (list(values[:, :, i]), pw.moment(k)) for i, k in enumerate(ORDERS)}
    return {"sizes": list(s["moment_sizes"]), "cases": out}


@simulation
def width_draws(settings, seed):
    """Eigenvalues of the last layer of f_alpha networks at each width, ``seeds`` draws each.

    Parameters
    ----------
    settings : dict
        ``layer_alphas``, ``depth``, ``layer_widths``, ``seeds``.
    seed : int
        Root seed (alpha j, width i, draw r: ``SeedSequence([seed, 4, j, i, r])``).

    Returns
    -------
    dict
        alpha -> list over widths of lists over draws of eigenvalue arrays (m = 2n).
    """
    s = _settings(settings)
    alphas, widths, count = s["layer_alphas"], s["layer_widths"], s["width_seeds"]
    tasks = [(alpha, n, s["depth"], np.random.SeedSequence([seed, 4, j, i, r]))
             for j, alpha in enumerate(alphas) for i, n in enumerate(widths) for r in range(count)]
    drawn = iter(map_tasks(last_layer_task, tasks, label="nonlinear widths"))
    return {alpha: [[next(drawn) for _ in range(count)] for _ in widths] for alpha in alphas}


def last_layer_task(task):
    """Eigenvalues of the last layer of one f_alpha network, task ``(alpha, n, depth, seed)``."""
    alpha, n, depth, ss = task
    return layers.sample_layers(layers.alpha_family(alpha), n=n, m=2 * n, depth=depth, rng=ss)[-1]


LAYER_STATISTICS = {"m1": (lambda x: x, lambda x: x), "g": (lambda x: 1.0 / (1.0 + x), lambda x: -x / (1.0 + x) ** 2)}
"""Linear statistics f of the last layer, each with x f'(x) (the derivative of its mean under a scale
x -> s x at s = 1): the mean eigenvalue m1 and g = -G(-1), the mean of 1/(1 + x) (bounded, so that
the O(1) outlier eigenvalue of a finite network moves it by O(1/n) only)."""


def law_mean(spectral_law, function):
    """The integral of ``function`` against a law (its atoms and quadrature table)."""
    x, w = spectral_law.discretize()
    return float(np.sum(w * function(x)))


def width_study(settings, seed, *, phi=0.5):
    """Linear statistics and KS distances of the last layer against width, with the theory they test.

    Parameters
    ----------
    settings, seed
        As for `width_draws`.
    phi : float
        n / m.

    Returns
    -------
    dict
        ``widths``; per alpha: ``values`` {name: per-width arrays} for the names of
        `LAYER_STATISTICS`, ``own`` {name: value of the layer-L law}, ``first`` {name: value of the
        layer-1 law} (laws through `rmtlib.experiments.theory`), ``slope`` {name: its derivative
        under a scale error of the layer-L law}, ``ks`` per-width arrays of the KS distance to the
        layer-L law.

    Notes
    -----
    For zeta = 0 the layer-L law is the input's Marchenko-Pastur law MP(phi) at every depth
    (book/derivations.md, eq. (pw-layers-recursion)).
    """
    s = _settings(settings)
    out = {"widths": list(s["layer_widths"])}
    for alpha, per_width in width_draws(s, seed).items():
        laws_ = layer_laws(alpha, phi, s["depth"])
        out[alpha] = {
            "values": {name: [np.array([np.mean(f(ev)) for ev in draws]) for draws in per_width]
                       for name, (f, _) in LAYER_STATISTICS.items()},
            "own": {name: law_mean(laws_[-1], f) for name, (f, _) in LAYER_STATISTICS.items()},
            "first": {name: law_mean(laws_[1], f) for name, (f, _) in LAYER_STATISTICS.items()},
            "slope": {name: law_mean(laws_[-1], df) for name, (_, df) in LAYER_STATISTICS.items()},
            "ks": [np.array([spectra.ks_distance(ev, laws_[-1]).statistic for ev in draws]) for draws in per_width],
        }
    return out
