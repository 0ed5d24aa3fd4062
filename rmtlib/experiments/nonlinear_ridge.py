"""Memorization with random features: ridge-regression fits on f(WX) against the limiting E_train.

Features F = f(W X) (n1 x m) are drawn, ``mem_targets * m`` i.i.d. N(0, 1) targets are fitted by
ridge regression at each gamma and the training loss is measured (`ridge_losses`): a real fit, not
the spectral trace that the theory evaluates. `ridge_draws` (a cached simulation) repeats this over
seeds at several sizes; `memorization_study` adds the theory, E_train computed from the law that
the checks compare with (`rmtlib.experiments.nonlinear.law`, perturbed in power runs), so that a
scale error of the law moves the predicted losses.
"""

import time

import numpy as np

from rmtlib.experiments.cache import simulation
from rmtlib.experiments.mapper import map_tasks
from rmtlib.experiments.nonlinear import DEFAULTS, law, sizes, unperturbed_law
from rmtlib.models import layers, nonlinear as nl

__all__ = ["RIDGE_DEFAULTS", "fit_task", "loss_from_law", "memorization_study", "ridge_draws", "ridge_losses",
           "scale_slope"]

RIDGE_DEFAULTS = {
    "mem_cases": [["tanh", 0.5, 0.5], ["relu_centered", 1.0, 0.5], ["abs_centered", 0.5, 1.0]],
    "gammas": [0.01, 0.1, 1.0],
    "mem_sizes": [100, 200, 400],
    "mem_seeds": 36,
    "mem_targets": 2,
    "order_alphas": [-1.0, 0.0, 1.0],
    "order_gamma": 0.01,
}
"""Cases, ridge parameters, sizes n0, seeds per size, targets per data point, and the ordering study
(f_alpha, eta = 1, at phi = psi = 1/2 and the middle size)."""

ORDER_SHAPE = (0.5, 0.5)
"""(phi, psi) of the ordering study: c = n1 / m = 1."""


def _settings(settings):
    return {**DEFAULTS, **RIDGE_DEFAULTS, **settings}


def ridge_losses(features, targets, gammas):
    """Training losses of ridge regressions of ``targets`` on ``features``, one per gamma.

    Parameters
    ----------
    features : ndarray, shape (n1, m)
        F, one column per data point.
    targets : ndarray, shape (n2, m)
        T, one row per target.
    gammas : sequence of float
        Ridge parameters (> 0).

    Returns
    -------
    ndarray, one loss per gamma

    Notes
    -----
    W* = (F F^T / m + gamma I)^-1 F T^T / m and loss (1 / (n2 m)) ||T - W*^T F||_F^2; its
    expectation over N(0, 1) targets is (gamma^2 / m) tr (K + gamma)^-2, K = F^T F / m
    (book/derivations.md, eq. (alg-pw-loss)). The normal equations are solved for every gamma at
    once through one eigendecomposition F F^T / m = U diag(lambda) U^T:
    W*^T F = (U^T F T^T / m)^T diag(1 / (lambda + gamma)) U^T F.
    """
    n1, m = features.shape
    lam, basis = np.linalg.eigh(features @ features.T / m)
    rotated = basis.T @ features
    cross = rotated @ targets.T / m
    return np.array([np.mean((targets - cross.T @ (rotated / (lam + g)[:, None])) ** 2) for g in gammas])


def _fit(activation, n0, phi, psi, targets, gammas, seq):
    """Losses of one feature draw (seeded by ``seq``) with ``targets * m`` random targets."""
    rng = np.random.default_rng(seq)
    n1, m = sizes(n0, phi, psi)
    features = nl.sample_features(activation, n0=n0, n1=n1, m=m, rng=rng)
    return ridge_losses(features, rng.standard_normal((targets * m, m)), gammas)


def fit_task(task):
    """Losses of one ridge fit, task ``((activation, alpha), n0, phi, psi, targets, gammas, seed)``.

    One of activation (a name) or alpha (an f_alpha network) is None.
    """
    (activation, alpha), n0, phi, psi, targets, gammas, seq = task
    activation = layers.alpha_family(alpha) if activation is None else activation
    return _fit(activation, n0, phi, psi, targets, list(gammas), seq)


@simulation
def ridge_draws(settings, seed):
    """Ridge-regression training losses over cases, sizes, seeds and gammas.

    Parameters
    ----------
    settings : dict
        Keys of `RIDGE_DEFAULTS`.
    seed : int
        Root seed (case j, size i, draw r: ``SeedSequence([seed, 5, j, i, r])``; ordering study
        alpha j, draw r: ``SeedSequence([seed, 6, j, r])``).

    Returns
    -------
    dict
        ``cases`` {(activation, phi, psi): ndarray (sizes, seeds, gammas)} and ``order``
        {alpha: ndarray (seeds,)} (f_alpha at ``order_gamma``, the middle size).
    """
    s = _settings(settings)
    count, targets, middle = s["mem_seeds"], s["mem_targets"], s["mem_sizes"][len(s["mem_sizes"]) // 2]
    keys = [(act, float(phi), float(psi)) for act, phi, psi in s["mem_cases"]]
    tasks = [((act, None), n0, phi, psi, targets, tuple(s["gammas"]), np.random.SeedSequence([seed, 5, j, i, r]))
             for j, (act, phi, psi) in enumerate(keys) for i, n0 in enumerate(s["mem_sizes"]) for r in range(count)]
    tasks += [((None, alpha), middle, *ORDER_SHAPE, targets, (s["order_gamma"],), np.random.SeedSequence([seed, 6, j, r]))
              for j, alpha in enumerate(s["order_alphas"]) for r in range(count)]
    drawn, block = map_tasks(fit_task, tasks, label="nonlinear ridge"), len(s["mem_sizes"]) * count
    cases = {key: np.array(drawn[j * block:(j + 1) * block]).reshape(len(s["mem_sizes"]), count, -1)
             for j, key in enumerate(keys)}
    rest = drawn[len(keys) * block:]
    order = {alpha: np.array([v[0] for v in rest[j * count:(j + 1) * count]])
             for j, alpha in enumerate(s["order_alphas"])}
    return {"cases": cases, "order": order}


def loss_from_law(spectral_law, gammas, c):
    """The limiting E_train(gamma) as a linear functional of the Gram matrix's law.

    Parameters
    ----------
    spectral_law : SpectralLaw
        The law of M = F F^T / m (atoms and density).
    gammas : array_like
        Ridge parameters (> 0).
    c : float
        n1 / m.

    Returns
    -------
    ndarray

    Notes
    -----
    E_train(gamma) = (1 - c) + c integral gamma^2 / (x + gamma)^2 dmu(x) = (1 - c) - c gamma^2 G'(-gamma)
    (book/derivations.md, eq. (alg-pw-loss)), integrated over the law's atoms and quadrature table.
    """
    g = np.asarray(gammas, dtype=float)[:, None]
    x, w = spectral_law.discretize()
    return (1.0 - c) + c * np.sum(w[None, :] * g**2 / (x[None, :] + g) ** 2, axis=1)


def scale_slope(spectral_law, gammas, c):
    """d E_train / d s at s = 1 when the law is pushed forward by x -> s x (how a scale error moves it).

    Parameters
    ----------
    spectral_law : SpectralLaw
    gammas : array_like
    c : float

    Returns
    -------
    ndarray

    Notes
    -----
    d/ds of c integral gamma^2 / (s x + gamma)^2 dmu(x) at s = 1 is -2 c integral gamma^2 x / (x + gamma)^3 dmu(x)
    (differentiating the functional of `loss_from_law`).
    """
    g = np.asarray(gammas, dtype=float)[:, None]
    x, w = spectral_law.discretize()
    return -2.0 * c * np.sum(w[None, :] * g**2 * x[None, :] / (x[None, :] + g) ** 3, axis=1)


def memorization_study(settings, seed, *, curve_points=30, zetas=(0.0, 0.25, 0.5, 0.75, 1.0),
                       curve_shapes=((0.5, 1.0), (0.5, 0.5), (1.0, 0.5))):
    """Training-loss curves at eta = 1, and the ridge fits of `ridge_draws` with their theory.

    Parameters
    ----------
    settings : dict
        Chapter settings (missing keys take `RIDGE_DEFAULTS`).
    seed : int
        Root seed of the fits.
    curve_points : int
        Points of each curve, gamma log-spaced on [1e-4, 10].
    zetas, curve_shapes : sequence
        The eta = 1 curves (theory only): one per zeta at each (phi, psi).

    Returns
    -------
    dict
        ``gammas`` (curve grid), ``curves`` {(phi, psi): {zeta: E_train}}, ``seconds`` (per curve);
        ``cases`` {(act, phi, psi): {"curve": theory on the grid, "theory": theory at ``mc_gammas``,
        "values": fitted losses (sizes, seeds, gammas), "slope": `scale_slope` at ``mc_gammas``}}, ``mc_gammas``, ``sizes``;
        ``order`` {alpha: (fitted losses, theory, zeta)} at ``order_gamma``; ``exact``: largest
        deviation of `loss_from_law` from `nonlinear.training_loss` (implicit differentiation).
    """
    s = _settings(settings)
    grid = np.logspace(-4, 1, curve_points)
    start = time.time()
    curves = {(phi, psi): {zeta: nl.training_loss(grid, eta=1.0, zeta=zeta, phi=phi, psi=psi) for zeta in zetas}
              for phi, psi in curve_shapes}
    seconds = (time.time() - start) / (len(zetas) * len(curve_shapes))
    draws = ridge_draws(s, seed)
    cases, exact = {}, 0.0
    for (act, phi, psi), values in draws["cases"].items():
        compared = law(act, phi, psi)
        cases[(act, phi, psi)] = {"curve": loss_from_law(compared, grid, phi / psi),
                                  "theory": loss_from_law(compared, s["gammas"], phi / psi), "values": values,
                                  "slope": scale_slope(compared, s["gammas"], phi / psi)}
        eta, zeta = nl.eta_zeta(act)
        exact = max(exact, np.max(np.abs(loss_from_law(unperturbed_law(act, phi, psi), s["gammas"], phi / psi)
                                         - nl.training_loss(s["gammas"], eta=eta, zeta=zeta, phi=phi, psi=psi))))
    order = {}
    for alpha, values in draws["order"].items():
        act = layers.alpha_family(alpha)
        order[alpha] = (values, float(loss_from_law(law(act, *ORDER_SHAPE), [s["order_gamma"]], 1.0)[0]),
                        nl.eta_zeta(act)[1])
    return {"gammas": grid, "curves": curves, "seconds": seconds, "cases": cases, "mc_gammas": list(s["gammas"]),
            "sizes": list(s["mem_sizes"]), "order": order, "exact": float(exact)}
