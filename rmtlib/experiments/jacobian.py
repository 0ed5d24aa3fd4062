"""Monte Carlo sweeps of the Jacobian chapter: KS distance to the limit over entry laws, sizes and seeds.

Every Monte Carlo quantity is a pure function of a task (a dict of parameters and a seed), cached by
`rmtlib.experiments.cache.simulation` (`simulate_task`), and judged against `theory_law`, the limit
law as `rmtlib.experiments.theory` presents it to the checks (perturbed in a power run). A
sweep is a map of `run_task` over tasks whose seeds come from ``SeedSequence(seed).spawn``, so a
sweep gives identical numbers serially or on any pool of workers.

Entry laws are written as short labels (``"gaussian"``, ``"student_t:5"``, ``"sparse:0.1"``,
``"sparse_per_row:5"`` for p = 5/n, ``"pareto_symmetric:1.5"``); `parse_entries` turns a label into
the ``(name, params)`` of `rmtlib.entries` for a given n.  Infinite-variance laws are rescaled by
their empirical root mean square (a Frobenius normalisation, so that the law of W W^T stays on scale).

`calibration_experiments` lists the experiments whose KS distances the chapter's checks bound, and
`statistics(settings, seed)` is the pure function that a calibration maps over seeds (see
`rmtlib.compendium.calibration.calibrate`). The chapter's sections are in
`rmtlib.experiments.jacobian_sections`.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np

from rmtlib import entries, spectra
from rmtlib._numerics import validate as _validate
from rmtlib.experiments import theory
from rmtlib.experiments.cache import simulation
from rmtlib.experiments.slopes import fit_loglog_slope
from rmtlib.models.jacobian import input_at, jacobian_law, sample_jacobian_spectrum

__all__ = [
    "ACTIVATION_CASES",
    "RECT_CASES",
    "cached_law",
    "calibration_experiments",
    "fit_slope",
    "fit_sweep_slope",
    "ks_table",
    "parse_entries",
    "run_task",
    "simulate_task",
    "statistics",
    "sweep",
    "tag",
    "theory_law",
    "timed_law",
    "zero_fraction_band",
]


def tag(label):
    """An entry-law label as an identifier fragment: ``"student_t:5"`` -> ``"student_t_5"``, ``"." -> "p"``."""
    return label.replace(":", "_").replace(".", "p")


def parse_entries(label, n):
    """``(name, params, empirical_scale)`` of an entry-law label at width n.

    Parameters
    ----------
    label : str
        ``name`` or ``name:value`` (value: nu, p, alpha), or ``sparse_per_row:c`` for ``p = c / n``.
    n : int
        Fan-in (needed for ``sparse_per_row``).

    Returns
    -------
    (str, dict, bool)
    """
    if not isinstance(label, str):
        raise TypeError(f"entry label must be a str, got {label!r}")
    name, _, value = label.partition(":")
    if name == "sparse_per_row":
        c = _validate.positive("sparse_per_row", float(value))
        return "sparse", {"p": min(1.0, c / n)}, False
    keys = {"student_t": "nu", "sparse": "p", "pareto_symmetric": "alpha"}
    _validate.choice("entry law", name, entries.NAMES)
    params = {keys[name]: float(value)} if name in keys else {}
    entries.fourth_moment(name, **params)  # validates
    return name, params, not entries.has_unit_variance(name, **params)


@functools.lru_cache(maxsize=64)
def cached_law(activation, depth, sigma_w, sigma_b, q0=None, ratios=None):
    """`jacobian_law`, cached (a sweep reuses one law for many samples); ratios: a tuple or None."""
    return jacobian_law(activation, depth=depth, sigma_w=sigma_w, sigma_b=sigma_b, q0=q0, width_ratios=ratios)


def timed_law(activation, *, depth, sigma_w, sigma_b, q0=None, width_ratios=None):
    """Build a law and its CDF table; return (law, seconds)."""
    t0 = time.perf_counter()
    law = jacobian_law(activation, depth=depth, sigma_w=sigma_w, sigma_b=sigma_b, q0=q0,
                       width_ratios=width_ratios)
    law.cdf(np.array([law.upper_edge / 2]))
    return law, time.perf_counter() - t0


def _input(task, n, rng):
    kind = task.get("input", "delocalized")
    if kind == "delocalized":
        return None
    q_in = task["q0"] if task.get("q0") is not None else input_at(
        task["activation"], sigma_w=task["sigma_w"], sigma_b=task["sigma_b"])
    if kind == "localized":
        x = np.zeros(n)
        x[0] = math.sqrt(n * q_in)
        return x
    if kind == "gaussian_q0":
        x = rng.standard_normal(n)
        return x * math.sqrt(n * q_in) / np.linalg.norm(x)
    raise ValueError(f"input must be 'delocalized', 'localized' or 'gaussian_q0', got {kind!r}")


def theory_law(activation, depth, sigma_w, sigma_b, q0=None, ratios=None):
    """The limit law a check compares with: `cached_law` through `rmtlib.experiments.theory`.

    sigma_w^2 is read as the theory parameter ``sigma_w2`` and the law is pushed forward by the
    scale of a power run; in a normal run this is `cached_law` itself.
    """
    sw = math.sqrt(theory.parameter("sigma_w2", sigma_w**2))
    return theory.law(cached_law(activation, depth, sw, sigma_b, q0, ratios))


@simulation
def simulate_task(task):
    """One network of a `run_task` task: its spectrum and the widths used (the Monte Carlo part).

    Returns
    -------
    dict
        ``eigenvalues`` of J J^T and ``ratios`` (the width ratios actually used, or None).
    """
    n = task["n"]
    ratios = tuple(float(c) for c in task["ratios"]) if task.get("ratios") else None
    widths = [round(c * n) for c in ratios] if ratios else n
    name, params, scale = parse_entries(task["entries"], n)
    rng = np.random.default_rng(task["seed"])
    x0 = _input(task, widths[0] if ratios else n, rng)
    ev = sample_jacobian_spectrum(
        task["activation"], depth=task["depth"], widths=widths, sigma_w=task["sigma_w"], sigma_b=task["sigma_b"],
        entries=(name, params), x0=x0, rng=rng, empirical_scale=scale, method=task.get("method", "svd"))
    return {"eigenvalues": ev, "ratios": tuple(w / widths[-1] for w in widths) if ratios else None}


def run_task(task):
    """One sample: the spectrum of J J^T (`simulate_task`, cached) and its distances to the limit.

    Parameters
    ----------
    task : dict
        ``activation, depth, n, sigma_w, sigma_b, entries`` (label), ``seed`` (int or SeedSequence),
        optional ``ratios`` (width ratios (n_0..n_L)/n_L, n = n_L),
        ``input`` ("delocalized", "localized", "gaussian_q0"), ``q0`` (input mean square;
        the law then uses the layer-wise q^l), ``method`` ("svd"/"eigh"), ``keep`` (return the
        eigenvalues too), ``against_fixed_point`` (also the KS to the law with q* in every layer).

    Returns
    -------
    dict
        ``ks`` (split KS to `theory_law`), ``atom_fraction``, ``atom_mass``, ``m1``, ``m2``
        (empirical moments), and ``eigenvalues`` if ``keep``.
    """
    sim = simulate_task(task)
    ev = sim["eigenvalues"]
    act, depth, sw, sb = task["activation"], task["depth"], task["sigma_w"], task["sigma_b"]
    ks = spectra.ks_distance(ev, theory_law(act, depth, sw, sb, task.get("q0"), sim["ratios"]))
    out = {
        "ks": float(ks.statistic),
        "atom_fraction": ks.atoms[0][1] if ks.atoms else 0.0,
        "atom_mass": ks.atoms[0][2] if ks.atoms else 0.0,
        "m1": float(ev.mean()),
        "m2": float(np.mean(ev**2)),
    }
    if task.get("against_fixed_point"):
        out["ks_fixed_point"] = float(spectra.ks_distance(ev, theory_law(act, depth, sw, sb)).statistic)
    if task.get("keep"):
        out["eigenvalues"] = ev
    return out


def sweep(base, *, entries_list, ns, seeds, seed, mapper=map):
    """KS of every (law, n, seed): a map of `run_task` over the tasks.

    Parameters
    ----------
    base : dict
        Task fields shared by all tasks (activation, depth, sigma_w, sigma_b, ...).
    entries_list : list of str
        Entry-law labels.
    ns : list of int
        Widths.
    seeds : int
        Samples per (law, n).
    seed : int
        Root seed; task seeds are ``SeedSequence(seed).spawn(len(tasks))``.
    mapper : callable, default map
        ``map``-like (e.g. a process pool's ``map``).

    Returns
    -------
    dict
        ``results[label][n]`` = list of `run_task` outputs (one per seed).
    """
    seeds = _validate.integer("seeds", seeds, low=1)
    keys = [(label, int(n), s) for label in entries_list for n in ns for s in range(seeds)]
    children = np.random.SeedSequence(seed).spawn(len(keys))
    tasks = [{**base, "entries": label, "n": n, "seed": child} for (label, n, _), child in zip(keys, children)]
    results = {label: {int(n): [] for n in ns} for label in entries_list}
    for (label, n, _), res in zip(keys, mapper(run_task, tasks)):
        results[label][n].append(res)
    return results


def ks_table(results, field="ks"):
    """``{label: {n: (mean, standard error, values)}}`` of one field of a `sweep`."""
    table = {}
    for label, by_n in results.items():
        table[label] = {}
        for n, rows in by_n.items():
            v = np.array([r[field] for r in rows])
            se = float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else float("nan")
            table[label][n] = (float(v.mean()), se, v.tolist())
    return table


def fit_slope(ns, values):
    """Least-squares slope of log KS against log n over individual samples, with a 95 % interval.

    Parameters
    ----------
    ns : sequence of float
        The size of each sample (repeated for the seeds of one size); at least 2 distinct sizes.
    values : sequence of float
        The KS distance of each sample.

    Returns
    -------
    dict
        ``slope``, ``low``, ``high`` (slope -+ t_{0.975, N-2} standard errors of ordinary least
        squares on the N samples, whose scatter at each size is the Monte Carlo error), ``intercept``.
    """
    ns, values = np.asarray(ns, dtype=float), np.asarray(values, dtype=float)
    if ns.size != values.size or np.unique(ns).size < 2 or ns.size < 3:
        raise ValueError("fit_slope needs one value per sample, at least 3 samples and 2 distinct sizes")
    fit = fit_loglog_slope(ns, values, level=0.95)
    return {key: fit[key] for key in ("slope", "low", "high", "intercept")}


def fit_sweep_slope(results, label, field="ks"):
    """`fit_slope` over every sample of one law of a `sweep`."""
    pairs = [(n, r[field]) for n, rows in results[label].items() for r in rows]
    return fit_slope([p[0] for p in pairs], [p[1] for p in pairs])


def statistics(settings, seed):
    """The calibrated statistic of one experiment at one size and seed: its split KS distance.

    Parameters
    ----------
    settings : dict
        ``{"statistic": key, "n": n}`` with ``key`` a key of `calibration_experiments`.
    seed : int or numpy.random.SeedSequence
        Seed of the sample.

    Returns
    -------
    dict
        ``{key: ks}``, the split KS distance of `run_task` on the experiment's task at size n.
    """
    key = settings["statistic"]
    task = calibration_experiments()[key]["task"]
    return {key: run_task({**task, "n": int(settings["n"]), "seed": seed})["ks"]}


#: The chapter's setting: tanh, sigma_w = 1.5, sigma_b = 0.2, square layers.
SETTING = {"activation": "tanh", "sigma_w": 1.5, "sigma_b": 0.2}
ADMISSIBLE = ["gaussian", "rademacher", "uniform", "student_t:5", "sparse:0.1"]


def calibration_experiments():
    """The experiments whose KS thresholds the chapter's checks use (sizes of both profiles).

    Keys: ``ks_L{L}_{label}`` (tanh setting, delocalised input at q*), ``localized_L1_gaussian``
    (input ``sqrt(n q0) e_1``, Gaussian weights), ``offfp_L3_gaussian`` (q0 = 4, layer-wise law),
    ``act_L2_{relu,hard_tanh,linear}``, ``rect_relu``, ``rect_tanh`` (the rectangular cases).
    """
    exps = {}
    for label in ADMISSIBLE + ["student_t:3"]:
        exps[f"ks_L3_{label}"] = {"task": {**SETTING, "depth": 3, "entries": label}, "ns": [600, 1500]}
    exps["ks_L3_gaussian"]["ns"] = [400, 600, 1000, 1500]
    for depth in (1, 5):
        for label in ADMISSIBLE:
            exps[f"ks_L{depth}_{label}"] = {"task": {**SETTING, "depth": depth, "entries": label}, "ns": [400, 1000]}
    exps["ks_L1_rademacher"]["ns"] = [400, 600, 1000]
    exps["localized_L1_gaussian"] = {"task": {**SETTING, "depth": 1, "entries": "gaussian", "input": "localized"},
                                     "ns": [600, 1000]}
    exps["offfp_L3_gaussian"] = {"task": {**SETTING, "depth": 3, "entries": "gaussian", "input": "gaussian_q0",
                                          "q0": 4.0}, "ns": [400, 1000]}
    for name, cfg in ACTIVATION_CASES.items():
        exps[f"act_L2_{name}"] = {"task": {**cfg, "depth": 2, "entries": "gaussian"}, "ns": [400, 1000]}
    for name, (cfg, ratios) in RECT_CASES.items():
        exps[f"rect_{name}"] = {"task": {**cfg, "depth": len(ratios) - 1, "entries": "gaussian", "ratios": ratios},
                                "ns": [300, 600]}
    return exps


ACTIVATION_CASES = {"relu": {"activation": "relu", "sigma_w": math.sqrt(2.0), "sigma_b": 0.0},
                    "hard_tanh": {"activation": "hard_tanh", "sigma_w": 1.1, "sigma_b": 0.05},
                    "linear": {"activation": "linear", "sigma_w": 1.0, "sigma_b": 0.0}}
RECT_CASES = {"relu": (ACTIVATION_CASES["relu"], [1.0, 2.0, 1.5, 1.0]),
              "tanh": (SETTING, [2 / 3, 4 / 3, 1.0])}


def zero_fraction_band(p, n, *, z=4.0):
    """Expected fraction of zero eigenvalues for depth 2, p = P(phi' != 0), and a z-sigma band.

    Parameters
    ----------
    p : float
        Probability that phi'(h) != 0 in each layer (both layers at q*).
    n : int
        Width.
    z : float
        Number of standard deviations.

    Returns
    -------
    (float, float)
        Mean and half-width.

    Notes
    -----
    The zero count is exactly ``n - min(R_1, R_2)`` with R_l ~ Binomial(n, p) independent (rank of a
    product = smallest rank); ``E min = n p - s / sqrt(pi)`` with ``s = sqrt(n p (1 - p))`` (the
    mean of the minimum of two normals), so the fraction is ``1 - p + s / (n sqrt(pi))``
    (book/derivations.md, eq. (jac-zero-fraction)), with standard deviation at most ``s / n``.
    """
    s = math.sqrt(p * (1 - p) / n)
    return 1.0 - p + s / math.sqrt(math.pi), z * s
