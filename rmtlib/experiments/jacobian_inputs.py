"""Where the input enters: localised inputs and inputs off the fixed point, judged by moments.

The KS distance of one sample cannot tell these cases apart from the limit with a threshold that does
not come from the comparison itself, so each case is simulated over widths and seeds and its
``m_1 = tr(J J^T) / n`` and ``m_2 = tr((J J^T)^2) / n`` (linear statistics of the spectrum) are
extrapolated to 1/n = 0 with `rmtlib.compendium.nulls.extrapolated`-style fits by the notebook. The
theory side goes through `rmtlib.experiments.theory`, so a power run perturbs it.
"""

from __future__ import annotations

import math

import numpy as np

from rmtlib.experiments import theory
from rmtlib.experiments.jacobian import simulate_task
from rmtlib.experiments.mapper import map_tasks
from rmtlib.models.jacobian import limit_moments

__all__ = ["input_moments", "input_theory", "spectrum_moments"]


def spectrum_moments(task):
    """``[m_1, m_2]`` of one network's J J^T (a `rmtlib.experiments.jacobian.simulate_task` task)."""
    ev = simulate_task(task)["eigenvalues"]
    return np.array([ev.mean(), np.mean(ev * ev)])


def input_moments(setting, *, cases, depth, ns, seeds, seed, q0=None, ratios=None):
    """Seed samples of ``(m_1, m_2)`` for several (entry law, input) cases over widths.

    Parameters
    ----------
    setting : dict
        ``activation, sigma_w, sigma_b``.
    cases : list of (str, str)
        ``(entries label, input kind)`` pairs; input kinds as in
        `rmtlib.experiments.jacobian.run_task` (``"delocalized"``, ``"localized"``, ``"gaussian_q0"``).
    depth : int
        Depth L.
    ns : list of int
        Widths (at least 3 for the extrapolation).
    seeds : dict
        ``{n: number of seeds}``.
    seed : int
        Root seed; task seeds are ``SeedSequence(seed).spawn(number of tasks)``.
    q0 : float, optional
        Input mean square (for ``"gaussian_q0"``; None: the fixed point).
    ratios : tuple of float, optional
        Width ratios ``(n_0, ..., n_L) / n_L`` (None: square layers); ``n`` is then n_L.

    Returns
    -------
    dict
        ``{case: {n: array (seeds, 2)}}``.
    """
    keys = [(case, int(n)) for case in cases for n in ns for _ in range(int(seeds[n]))]
    children = np.random.SeedSequence(seed).spawn(len(keys))
    tasks = [{**setting, "depth": int(depth), "n": n, "entries": ent, "input": kind, "q0": q0, "ratios": ratios, "seed": child}
             for ((ent, kind), n), child in zip(keys, children)]
    out = {case: {int(n): [] for n in ns} for case in cases}
    for (case, n), m in zip(keys, map_tasks(spectrum_moments, tasks)):
        out[case][n].append(m)
    return {case: {n: np.array(rows) for n, rows in by_n.items()} for case, by_n in out.items()}


def input_theory(setting, *, depth, q0=None, ratios=None):
    """``(m_1, m_2)`` of the limit law as the checks see it: sigma_w^2 and the scale perturbable.

    Parameters
    ----------
    setting : dict
        ``activation, sigma_w, sigma_b``.
    depth : int
        Depth L.
    q0 : float, optional
        Input mean square; each layer then has its own q^l (None: every layer at q*).
    ratios : tuple of float, optional
        Width ratios ``(n_0, ..., n_L) / n_L`` (None: square layers).

    Notes
    -----
    `rmtlib.models.jacobian.limit_moments` (book/derivations.md, eq. (jac-moments)).
    """
    sw = math.sqrt(theory.parameter("sigma_w2", setting["sigma_w"] ** 2))
    m = limit_moments(setting["activation"], depth=depth, sigma_w=sw, sigma_b=setting["sigma_b"], q0=q0,
                      width_ratios=ratios)
    return np.array([theory.moment(m[0], 1), theory.moment(m[1], 2)])
