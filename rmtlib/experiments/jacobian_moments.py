"""Moments of J J^T over sizes and seeds, and their statistical checks against the limit law.

The first two moments ``m_1 = tr(J J^T) / n`` and ``m_2 = tr((J J^T)^2) / n`` are linear in the
spectrum, so their seed means have honest standard errors. They are simulated once
(`forward_moments`, a cached pure function of a task) and judged cheaply against the theory
(`moment_statistics` prepares what the checks test), through `rmtlib.experiments.theory`, so that a
power run can perturb it.

Two comparisons are made for every (network, depth):

- the *limit*: ``m_k`` against the k-th moment of the limit law, by an ``a + b / n`` fit over at least
  three widths whose intercept is tested. Its resolution is
  limited by the O(n^{-1/2}) fluctuations of the empirical derivative laws of the layers;
- the *free product given the layers*: ``m_k`` divided by the moment of the free product of
  Marchenko-Pastur laws with the empirical laws of ``phi'(h^l)^2`` of the same network, again
  extrapolated to 1/n = 0. The division removes the fluctuations of the mean-field part, so this is the
  sharp test of free multiplication, the step that universality concerns.
"""

from __future__ import annotations

import math

import numpy as np

from rmtlib import activations, entries as _entries
from rmtlib.experiments import theory
from rmtlib.experiments.cache import simulation
from rmtlib.experiments.jacobian import parse_entries
from rmtlib.models.jacobian import limit_moments
from rmtlib.models.mean_field import input_at

__all__ = ["conditional_moments", "forward_moments", "limit_theory", "moment_statistics", "moment_sweep"]


@simulation
def forward_moments(task):
    """One square network: ``m_1, m_2`` of J J^T and the layers' empirical derivative moments.

    Parameters
    ----------
    task : dict
        ``activation, depth, n, sigma_w, sigma_b, entries`` (a label of
        `rmtlib.experiments.jacobian.parse_entries`) and ``seed`` (int or SeedSequence). The input
        is a Gaussian vector rescaled to put every layer at q*, as in
        `rmtlib.models.jacobian.sample_jacobian_spectrum`.

    Returns
    -------
    dict
        ``m`` (array ``[m_1, m_2]``), ``d2`` and ``d4`` (per layer, the means over units of
        ``phi'(h^l)^2`` and ``phi'(h^l)^4``).
    """
    n, depth, sw, sb = int(task["n"]), int(task["depth"]), float(task["sigma_w"]), float(task["sigma_b"])
    name, params, rescale = parse_entries(task["entries"], n)
    act = activations.get(task["activation"])
    rng = np.random.default_rng(task["seed"])
    x = rng.standard_normal(n)
    x *= math.sqrt(input_at(task["activation"], sigma_w=sw, sigma_b=sb) * n) / np.linalg.norm(x)
    jac, d2, d4 = None, [], []
    for _ in range(depth):
        X = _entries.sample(name, (n, n), rng=rng, **params)
        if rescale:
            X /= math.sqrt(np.mean(X * X))
        W = (sw / math.sqrt(n)) * X
        h = W @ x + sb * rng.standard_normal(n)
        d = np.asarray(act.dphi(h), dtype=float) * np.ones(n)
        jac = W if jac is None else W @ jac
        jac *= d[:, None]
        x = np.asarray(act.phi(h), dtype=float)
        d2.append(float(np.mean(d**2)))
        d4.append(float(np.mean(d**4)))
    gram = jac @ jac.T
    return {"m": np.array([np.sum(jac * jac) / n, np.sum(gram * gram) / n]), "d2": np.array(d2), "d4": np.array(d4)}


def moment_sweep(configs, *, depths, entries_list, ns, seeds, seed, mapper=map):
    """`forward_moments` over configurations, depths, entry laws, widths and seeds.

    Parameters
    ----------
    configs : dict
        ``{name: {"activation", "sigma_w", "sigma_b"}}``.
    depths, entries_list, ns : list
        Depths L, entry-law labels, widths n (at least 3 for the extrapolation).
    seeds : int or dict
        Seeds per point, or ``{n: seeds}``.
    seed : int
        Root seed; task seeds are ``SeedSequence(seed).spawn(number of tasks)``.
    mapper : callable
        ``map``-like.

    Returns
    -------
    dict
        ``{name: {L: {label: {n: {"m": (seeds, 2), "d2": (seeds, L), "d4": (seeds, L)}}}}}``.
    """
    per_n = seeds if isinstance(seeds, dict) else {n: seeds for n in ns}
    keys = [(c, int(L), lab, int(n)) for c in configs for L in depths for lab in entries_list for n in ns
            for _ in range(int(per_n[n]))]
    children = np.random.SeedSequence(seed).spawn(len(keys))
    tasks = [{**configs[c], "depth": L, "entries": lab, "n": n, "seed": ch} for (c, L, lab, n), ch in zip(keys, children)]
    rows = {}
    for key, res in zip(keys, mapper(forward_moments, tasks)):
        rows.setdefault(key, []).append(res)
    out = {c: {int(L): {lab: {} for lab in entries_list} for L in depths} for c in configs}
    for (c, L, lab, n), res in rows.items():
        out[c][L][lab][n] = {field: np.array([r[field] for r in res]) for field in ("m", "d2", "d4")}
    return out


def limit_theory(config, depth):
    """``(m_1, m_2)`` of the limit law as the checks see it (sigma_w^2 and the scale perturbable).

    Notes
    -----
    ``m_1 = prod_l chi_l``, ``m_2 / m_1^2 = 1 + sum_l E X_l^2 / (E X_l)^2`` for square layers
    (book/derivations.md, eq. (jac-moments)).
    """
    sw = math.sqrt(theory.parameter("sigma_w2", config["sigma_w"] ** 2))
    m = limit_moments(config["activation"], depth=depth, sigma_w=sw, sigma_b=config["sigma_b"])
    return np.array([theory.moment(m[0], 1), theory.moment(m[1], 2)])


def conditional_moments(sigma_w, d2, d4):
    """Moments of the free product of MP laws with the empirical derivative laws of each network.

    Parameters
    ----------
    sigma_w : float
        Weight scale of the theory (sigma_w^2 perturbable).
    d2, d4 : ndarray, shape (seeds, L)
        Per network and layer, the means of ``phi'(h)^2`` and ``phi'(h)^4`` over units.

    Returns
    -------
    ndarray, shape (seeds, 2)
        ``m_1 = prod_l sigma_w^2 d2_l``, ``m_2 = m_1^2 (1 + sum_l d4_l / d2_l^2)``, scaled as theory.

    Notes
    -----
    The moment formula of the limit law (book/derivations.md, eq. (jac-moments)) applied to the
    empirical laws of ``phi'(h^l)^2`` in place of their Gaussian limits.
    """
    s2 = theory.parameter("sigma_w2", sigma_w**2)
    m1 = np.prod(s2 * d2, axis=1)
    m2 = m1**2 * (1.0 + np.sum(d4 / d2**2, axis=1))
    return np.column_stack([theory.moment(m1, 1), theory.moment(m2, 2)])


def moment_statistics(by_n, config, depth):
    """What the statistical checks of one (network, depth, entry law) compare, over sizes.

    Parameters
    ----------
    by_n : dict
        ``{n: {"m", "d2", "d4"}}`` from `moment_sweep`.
    config : dict
        ``activation, sigma_w, sigma_b``.
    depth : int
        Depth L.

    Returns
    -------
    dict
        ``ns`` (sorted widths); ``m`` and ``ratio`` (for k = 1, 2, the list over ns of per-seed
        values of m_k and of ``m_k / conditional m_k``); ``law`` (the law's m_k, through
        `rmtlib.experiments.theory`); ``relative`` (per n and k, the relative deviation of the seed
        mean of m_k from the law and its standard error).
    """
    ns = sorted(by_n)
    law = limit_theory(config, depth)
    ratios = {n: by_n[n]["m"] / conditional_moments(config["sigma_w"], by_n[n]["d2"], by_n[n]["d4"]) for n in ns}
    relative = {n: [(float(by_n[n]["m"][:, k].mean() / law[k] - 1),
                     float(by_n[n]["m"][:, k].std(ddof=1) / math.sqrt(len(by_n[n]["m"])) / law[k])) for k in range(2)]
                for n in ns}
    return {"ns": ns, "law": law, "relative": relative,
            "m": [[by_n[n]["m"][:, k] for n in ns] for k in range(2)],
            "ratio": [[ratios[n][:, k] for n in ns] for k in range(2)]}
