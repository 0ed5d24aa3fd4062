"""Curvature spectra of digits MLPs over sizes, training seeds and training time (the products chapter).

One task is one training seed: it draws a subset of ``net_n`` digits (constant pixels removed),
trains a ``d -> h -> 10`` tanh MLP for every width ``h`` of ``net_hidden`` by full-batch Adam from
the same seed, and records the Hessian and Gauss-Newton spectra of the unregularised cross-entropy
at initialisation, at step ``net_mid`` and at the end. Spectra are exact (``eigvalsh`` of the
closed-form matrices) where ``P <= net_exact_max``, and stochastic Lanczos quadrature
(:func:`rmtlib.spectra.lanczos_law` on the analytic Hessian- and Gauss-Newton-vector products)
beyond; the smallest network also gets an SLQ estimate at the end, to measure SLQ against exact.
The same network with the constant pixels kept shows what they did: exactly null Hessian rows.

Seeds: task ``k`` uses child ``k`` of ``SeedSequence(seed).spawn(net_seeds)``; the sweep goes
through :func:`rmtlib.experiments.mapper.map_tasks`.
"""

from __future__ import annotations

import numpy as np

from rmtlib import spectra
from rmtlib._numerics import validate as _validate
from rmtlib.experiments.cache import simulation
from rmtlib.experiments.digits import load_digits_data
from rmtlib.experiments.mapper import map_tasks
from rmtlib.models.networks import MLP, ggn_rank_bound

__all__ = ["NETWORK_DEFAULTS", "STAGES", "network_seed", "network_sweep", "summary"]

NETWORK_DEFAULTS = {"net_n": 120, "net_hidden": [20, 64, 320], "net_seeds": 10, "net_steps": 1000, "net_mid": 100,
                    "net_lr": 0.01, "net_weight_decay": 1e-3, "net_exact_max": 2000, "slq_steps": 60,
                    "slq_probes": 4, "n_outliers": 10, "fit_perc_size": 1000}
"""The trained-network section's settings (data, widths, seeds, training, exact/SLQ split, outliers)."""

STAGES = ("init", "mid", "end")
ZERO_RTOL = 1e-9
"""Exact zeros of a curvature spectrum: ``|lambda| < 1e-9 max |lambda|`` (the kernel; SLQ nodes alike)."""


def _adam(net, theta, x, y, steps, lr, weight_decay, state):
    """``steps`` steps of full-batch Adam (Kingma and Ba 2015, Algorithm 1) on loss + wd |theta|^2 / 2."""
    m, v, t = state
    for _ in range(steps):
        t += 1
        g = net.loss_and_grad(theta, x, y)[1] + weight_decay * theta
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        theta = theta - lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return theta, (m, v, t)


def _spectra(net, theta, x, y, s, gen, *, exact):
    """Hessian and GGN spectra at ``theta``: exact eigenvalues, or SLQ nodes and weights."""
    if exact:
        return {"hessian": np.linalg.eigvalsh(net.hessian(theta, x, y)),
                "ggn": np.linalg.eigvalsh(net.gauss_newton(theta, x))}
    out = {}
    for name, mv in (("hessian", lambda v: net.hvp(theta, x, y, v)), ("ggn", lambda v: net.gvp(theta, x, v))):
        law = spectra.lanczos_law(mv, net.n_params, steps=int(s["slq_steps"]), probes=int(s["slq_probes"]), rng=gen)
        out[name] = {"nodes": law.locations, "weights": law.weights}
    return out


def network_seed(task):
    """Train every width of ``net_hidden`` from one seed; spectra at the three stages.

    Parameters
    ----------
    task : (dict, numpy.random.SeedSequence)
        Settings (keys of :data:`rmtlib.experiments.network_spectra.NETWORK_DEFAULTS`) and the seed of this training run.

    Returns
    -------
    dict
        ``d`` (non-constant pixels), ``constant`` (pixels removed), ``nets``: one dict per width with
        ``hidden``, ``P``, ``exact`` (bool), ``bound`` (:func:`rmtlib.models.networks.ggn_rank_bound`),
        ``loss`` (per stage), ``spectra[stage][matrix]`` (eigenvalues, or SLQ ``nodes``/``weights``),
        ``slq_end`` (SLQ at the end, for the smallest exact network); ``dead`` (the smallest network on
        the raw pixels at the end: ``P``, ``hessian`` eigenvalues, ``dead_rows`` = constant pixels x h).
    """
    s, seed = task
    gen = np.random.default_rng(seed)
    x, y = load_digits_data(int(s["net_n"]), rng=gen, drop_constant=True)
    raw, _ = load_digits_data(int(s["net_n"]), rng=np.random.default_rng(seed), drop_constant=False)
    steps, mid = int(s["net_steps"]), int(s["net_mid"])
    nets = []
    for k, h in enumerate(s["net_hidden"]):
        net = MLP((x.shape[1], int(h), 10), "tanh")
        exact = net.n_params <= int(s["net_exact_max"])
        theta0 = net.init(rng=gen)
        theta, state, rec = theta0, (0.0 * theta0, 0.0 * theta0, 0), {"spectra": {}, "loss": {}}
        for stage, todo in zip(STAGES, (0, mid, steps - mid)):
            theta, state = _adam(net, theta, x, y, todo, s["net_lr"], s["net_weight_decay"], state)
            rec["spectra"][stage] = _spectra(net, theta, x, y, s, gen, exact=exact)
            rec["loss"][stage] = net.loss_and_grad(theta, x, y)[0]
        if k == 0 and exact:
            rec["slq_end"] = _spectra(net, theta, x, y, s, gen, exact=False)
        nets.append({"hidden": int(h), "P": net.n_params, "exact": exact,
                     "bound": ggn_rank_bound(x.shape[0], 10, net.n_params), **rec})
    h0 = int(s["net_hidden"][0])
    dead_net = MLP((raw.shape[1], h0, 10), "tanh")
    theta, _ = _adam(dead_net, dead_net.init(rng=gen), raw, y, steps, s["net_lr"], s["net_weight_decay"],
                     (0.0, 0.0, 0))
    dead = {"P": dead_net.n_params, "dead_rows": (raw.shape[1] - x.shape[1]) * h0,
            "hessian": np.linalg.eigvalsh(dead_net.hessian(theta, raw, y))}
    return {"d": x.shape[1], "constant": raw.shape[1] - x.shape[1], "nets": nets, "dead": dead}


@simulation
def network_sweep(settings, seed):
    """:func:`rmtlib.experiments.network_spectra.network_seed` over ``net_seeds`` training seeds (children of ``SeedSequence(seed)``), in order."""
    s = {**NETWORK_DEFAULTS, **settings}
    _validate.integer("net_seeds", s["net_seeds"], low=4)
    _validate.integer("net_n", s["net_n"], low=20, high=1797)
    steps = _validate.integer("net_steps", s["net_steps"], low=2)
    _validate.integer("net_mid", s["net_mid"], low=1, high=steps - 1)
    for h in s["net_hidden"]:
        _validate.integer("net_hidden", h, low=1)
    _validate.integer("slq_steps", s["slq_steps"], low=2)
    _validate.integer("slq_probes", s["slq_probes"], low=1)
    children = np.random.SeedSequence(seed).spawn(int(s["net_seeds"]))
    return map_tasks(network_seed, [(s, child) for child in children])


def summary(ev, rtol=ZERO_RTOL):
    """``lambda_max`` and the fractions of exact zeros, near zeros (``< 1e-3 lambda_max``) and negatives."""
    ev = np.asarray(ev, dtype=float)
    lmax = float(np.max(np.abs(ev)))
    return {"lambda_max": lmax, "zero": float(np.mean(np.abs(ev) < rtol * lmax)),
            "near": float(np.mean(np.abs(ev) < 1e-3 * lmax)), "negative": float(np.mean(ev < -rtol * lmax))}
