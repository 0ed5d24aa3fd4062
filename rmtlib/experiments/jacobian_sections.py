"""The sections of the Jacobian chapter: one function per section, returning plain results.

Each function is a pure function of its settings and seed (timings aside); the sweeps map
`rmtlib.experiments.jacobian.run_task` over independent tasks with `rmtlib.experiments.mapper.map_tasks`,
so the numbers are the same on any backend (``workers=None``: the one the command line chose).
Values that the chapter's prose quotes are returned under ``"glue"`` as ``{name: value}``.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np

from rmtlib.experiments import jacobian as jx, jacobian_moments as jm
from rmtlib.experiments.jacobian import tag
from rmtlib.experiments.mapper import map_tasks
from rmtlib.models import jacobian as jac, mean_field
from rmtlib.models.products import fuss_catalan_k2_density

__all__ = ["activations", "convergence", "criticality_configs", "density_samples", "depth_moments",
           "limit_law", "localization", "off_fixed_point", "rectangular", "tag",
           "universality_moments"]

def _mapper(workers, blas_threads):
    """A ``map``-like over the chosen backend (None: the command line's), returning lists."""
    return functools.partial(map_tasks, workers=workers, blas_threads=blas_threads)


_RELU_EDGES = {1: 3 + 2 * math.sqrt(2), 2: 11.0901699437, 5: 27.2727733953}


def limit_law(activation, *, sigma_w, sigma_b, depths):
    """The limit laws of the chapter's setting and their checks against closed forms.

    Parameters
    ----------
    activation : str
        Activation of the setting.
    sigma_w, sigma_b : float
        Weight scale and bias standard deviation.
    depths : iterable of int
        Depths whose laws are built (with their CDF tables, timed).

    Returns
    -------
    dict
        ``laws`` ({L: JacobianLaw}), ``errors`` (max relative errors: ``fuss_catalan_density``,
        ``fuss_catalan_moments``, ``relu_edges``, ``mp_density``, ``free_multiply_agrees``) and
        ``glue`` (q*, chi, build times).

    Notes
    -----
    Linear phi at L = 2 is the Fuss-Catalan law of order 2 with the Penson-Zyczkowski density
    (Penson & Zyczkowski 2011, eq. (5)) and moments ``binom(3k, k) / (2k + 1)``; at L = 1 it is
    Marchenko-Pastur; ReLU at sigma_w^2 = 2 has the upper edges of the polynomial
    ``z psi = 2^L (1 + psi)(1/2 + psi)^L`` (book/derivations.md, eq. (jac-relu)).
    """
    glue = {"qstar": jac.fixed_point(activation, sigma_w=sigma_w, sigma_b=sigma_b),
            "chi_star": mean_field.chi(activation, sigma_w=sigma_w, sigma_b=sigma_b)}
    laws = {}
    for L in depths:
        laws[L], glue[f"time_law_L{L}"] = jx.timed_law(activation, depth=L, sigma_w=sigma_w, sigma_b=sigma_b)
    linear2 = jac.jacobian_law("linear", depth=2, sigma_w=1.0, sigma_b=0.0)
    x = np.array([0.1, 1.0, 3.0, 6.0, 6.74])
    errors = {"fuss_catalan_density": float(np.max(np.abs(linear2.density(x) / fuss_catalan_k2_density(x) - 1))),
              "fuss_catalan_moments": max(abs(linear2.moment(k) / (math.comb(3 * k, k) / (2 * k + 1)) - 1)
                                          for k in range(1, 5))}
    edges = {L: jac.jacobian_law("relu", depth=L, sigma_w=math.sqrt(2), sigma_b=0.0).upper_edge for L in (1, 2, 5)}
    errors["relu_edges"] = max(abs(edges[L] - _RELU_EDGES[L]) / _RELU_EDGES[L] for L in edges)
    mp = jac.jacobian_law("linear", depth=1, sigma_w=1.0, sigma_b=0.0).density(x[:3])
    errors["mp_density"] = float(np.max(np.abs(mp / np.sqrt(x[:3] * (4 - x[:3])) * (2 * np.pi * x[:3]) - 1)))
    t0 = time.perf_counter()
    direct = jac.jacobian_law(activation, depth=2, sigma_w=sigma_w, sigma_b=sigma_b)
    xs = np.linspace(0.01, 0.99, 200) * direct.upper_edge
    d_direct = direct.density(xs)
    glue["time_direct_L2"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    d_free = jac.free_chain(activation, depth=2, sigma_w=sigma_w, sigma_b=sigma_b).density(xs)
    glue["time_free_L2"] = time.perf_counter() - t0
    errors["free_multiply_agrees"] = float(np.max(np.abs(d_free - d_direct) / np.maximum(d_direct, 1e-300)))
    return {"laws": laws, "errors": errors, "glue": glue}


def density_samples(setting, *, depths, entries_list, n, seed, workers=None, blas_threads=None):
    """One network per entry law and depth, kept with its eigenvalues.

    Parameters
    ----------
    setting : dict
        ``activation, sigma_w, sigma_b``.
    depths : list of int
        Depths L; depth L uses the root seed ``seed + L``.
    entries_list : list of str
        Entry-law labels.
    n : int
        Width (square layers).
    seed : int
        Root seed.
    workers, blas_threads : int, optional
        Processes and BLAS threads per process of `rmtlib.experiments.mapper.Mapper` (None: the
        backend of the command line, ``--workers`` / ``--scheduler``).

    Returns
    -------
    dict
        ``{L: {label: run_task output with "eigenvalues"}}``.
    """
    out, mapper = {}, _mapper(workers, blas_threads)
    for L in depths:
        runs = jx.sweep({**setting, "depth": L, "keep": True}, entries_list=entries_list, ns=[n], seeds=1,
                        seed=seed + L, mapper=mapper)
        out[L] = {label: runs[label][n][0] for label in entries_list}
    return out


def convergence(setting, *, depth, entries_list, admissible, ns, seeds, seed, workers=None, blas_threads=None):
    """KS distance against n for several entry laws, with log-log slopes.

    Parameters
    ----------
    setting : dict
        ``activation, sigma_w, sigma_b``.
    depth : int
        Depth L.
    entries_list : list of str
        Every entry-law label of the sweep (must include ``"gaussian"``).
    admissible : list of str
        The labels whose samples are pooled in one slope fit.
    ns : list of int
        Widths.
    seeds, seed : int
        Samples per (law, n) and root seed.
    workers, blas_threads : int, optional
        Processes and BLAS threads per process of `rmtlib.experiments.mapper.Mapper` (None: the
        backend of the command line, ``--workers`` / ``--scheduler``).

    Returns
    -------
    dict
        ``table`` (`ks_table`), ``slopes`` ({label: `fit_slope` dict}), ``pooled`` (the fit over
        the admissible laws' samples), ``n_max``, ``means`` ({label: mean KS at n_max}),
        ``ratios`` ({label: mean KS / Gaussian mean KS at n_max}), ``fourth_moments`` and ``glue``.
    """
    runs = jx.sweep({**setting, "depth": depth}, entries_list=entries_list, ns=ns, seeds=seeds, seed=seed,
                    mapper=_mapper(workers, blas_threads))
    table = jx.ks_table(runs)
    slopes = {label: jx.fit_sweep_slope(runs, label) for label in table}
    pooled = jx.fit_slope([n for label in admissible for n, rows in runs[label].items() for _ in rows],
                          [r["ks"] for label in admissible for rows in runs[label].values() for r in rows])
    n_max = ns[-1]
    means = {label: table[label][n_max][0] for label in entries_list}
    ratios = {label: means[label] / means["gaussian"] for label in entries_list}
    m4 = {}
    for label in entries_list:
        name, params, _ = jx.parse_entries(label, n_max)
        m4[label] = jx.entries.fourth_moment(name, **params)
    glue = {f"slope_{jx.tag(label)}": slopes[label]["slope"] for label in entries_list}
    glue.update({f"ratio_{jx.tag(label)}": ratios[label] for label in entries_list if label not in admissible})
    glue.update({f"ks_nmax_{jx.tag(label)}": means[label] for label in entries_list})
    glue.update({f"ks_se_{jx.tag(label)}": table[label][n_max][1] for label in entries_list})
    glue.update(slope_pooled=pooled["slope"], slope_pooled_low=pooled["low"], slope_pooled_high=pooled["high"],
                ks_nmax_t3=means.get("student_t:3", math.nan),
                ks_se_t3=table["student_t:3"][n_max][1] if "student_t:3" in table else math.nan, n_max=n_max)
    return {"table": table, "slopes": slopes, "pooled": pooled, "n_max": n_max, "means": means,
            "ratios": ratios, "fourth_moments": m4, "ns": list(ns), "glue": glue}


def localization(setting, *, n, seed):
    """Gaussian and Rademacher weights at L = 1 with a delocalised and a localised input.

    Parameters
    ----------
    setting : dict
        ``activation, sigma_w, sigma_b``.
    n : int
        Width.
    seed : int
        Root seed (four children, one per case).

    Returns
    -------
    dict
        ``{(entries, input): run_task output with "eigenvalues"}`` and ``"glue"`` (the four KS).
    """
    cases = [(e, k) for e in ("gaussian", "rademacher") for k in ("delocalized", "localized")]
    tasks = [{**setting, "depth": 1, "n": n, "entries": ent, "input": kind, "seed": child, "keep": True}
             for (ent, kind), child in zip(cases, np.random.SeedSequence(seed).spawn(4))]
    out = dict(zip(cases, map_tasks(jx.run_task, tasks, label="jacobian localization")))
    return {"runs": out, "glue": {f"local_{e}_{k}": res["ks"] for (e, k), res in out.items()}}


def off_fixed_point(setting, *, n, q0, seed, depth=3):
    """One Gaussian network whose input is off the fixed point, against both candidate laws.

    Parameters
    ----------
    setting : dict
        ``activation, sigma_w, sigma_b``.
    n : int
        Width.
    q0 : float
        Input mean square.
    seed : int
        Seed of the sample.
    depth : int
        Depth L.

    Returns
    -------
    dict
        ``run`` (`run_task` output with ``ks``, ``ks_fixed_point``, ``eigenvalues``), ``law``
        (layer-wise q^l), ``law_star`` (q* in every layer), ``q`` and ``glue``.
    """
    act, sw, sb = setting["activation"], setting["sigma_w"], setting["sigma_b"]
    qs = mean_field.q_recursion(act, depth=depth, sigma_w=sw, sigma_b=sb, q0=q0)
    run = jx.run_task({**setting, "depth": depth, "n": n, "entries": "gaussian", "input": "gaussian_q0", "q0": q0,
                       "seed": seed, "keep": True, "against_fixed_point": True})
    glue = {f"offfp_q{l}": ql for l, ql in enumerate(qs, 1)}
    glue.update(offfp_ks=run["ks"], offfp_ks_star=run["ks_fixed_point"])
    return {"run": run, "law": jx.cached_law(act, depth, sw, sb, q0), "law_star": jx.cached_law(act, depth, sw, sb),
            "q": qs, "glue": glue}


def activations(*, n, seed, depth=2):
    """ReLU, hard-tanh and linear networks (`ACTIVATION_CASES`) with their laws and zero fractions.

    Parameters
    ----------
    n : int
        Width.
    seed : int
        Root seed (one child per case).
    depth : int
        Depth L.

    Returns
    -------
    dict
        ``{name: {"run", "law", "band"}}`` (band: `zero_fraction_band` interval, or None without an
        atom) and ``"glue"``.
    """
    cases = jx.ACTIVATION_CASES
    out, glue = {}, {}
    tasks = [{**cfg, "depth": depth, "n": n, "entries": "gaussian", "seed": child, "keep": True}
             for cfg, child in zip(cases.values(), np.random.SeedSequence(seed).spawn(len(cases)))]
    for (name, cfg), run in zip(cases.items(), map_tasks(jx.run_task, tasks, label="jacobian activations")):
        law = jx.theory_law(cfg["activation"], depth, cfg["sigma_w"], cfg["sigma_b"])
        glue[f"act_ks_{name}"] = run["ks"]
        band = None
        if law.atoms:
            mean, half = jx.zero_fraction_band(1.0 - law.atom_mass(0.0), n)
            band = [mean - half, mean + half]
            glue[f"atom_limit_{name}"] = law.atom_mass(0.0)
            glue[f"atom_frac_{name}"] = run["atom_fraction"]
        out[name] = {"run": run, "law": law, "band": band}
    return {"cases": out, "glue": glue}


def criticality_configs(sigma_b_critical=0.05):
    """The networks of the depth study: tanh on, above and below the edge of chaos, ReLU, hard-tanh, linear."""
    sw_crit = mean_field.critical_sigma_w("tanh", sigma_b=sigma_b_critical)
    return {"tanh critical": dict(activation="tanh", sigma_w=sw_crit, sigma_b=sigma_b_critical),
            "tanh chaotic": dict(activation="tanh", sigma_w=1.5, sigma_b=0.2),
            "tanh ordered": dict(activation="tanh", sigma_w=0.8, sigma_b=0.1),
            "ReLU critical": dict(activation="relu", sigma_w=math.sqrt(2.0), sigma_b=0.0),
            "hard-tanh": dict(activation="hard_tanh", sigma_w=1.1, sigma_b=0.05),
            "linear": dict(activation="linear", sigma_w=1.0, sigma_b=0.0)}


def _moment_study(configs, *, depths, entries_list, ns, seeds, seed, workers, blas_threads):
    sweep = jm.moment_sweep(configs, depths=depths, entries_list=entries_list, ns=ns, seeds=seeds, seed=seed,
                            mapper=_mapper(workers, blas_threads))
    stats = {c: {L: {lab: jm.moment_statistics(sweep[c][L][lab], configs[c], L) for lab in entries_list}
                 for L in depths} for c in configs}
    return sweep, stats


def universality_moments(setting, *, depth, entries_list, ns, seeds, seed, workers=None, blas_threads=None):
    """m_1 and m_2 of J J^T for several entry laws over widths and seeds (the headline checks).

    Parameters
    ----------
    setting : dict
        ``activation, sigma_w, sigma_b``.
    depth : int
        Depth L.
    entries_list : list of str
        Entry-law labels (must include ``"gaussian"``, the reference of the two-sample tests).
    ns : list of int
        At least three widths.
    seeds : int or dict
        Seeds per width (or ``{n: seeds}``).
    seed : int
        Root seed.
    workers, blas_threads : int, optional
        Processes and BLAS threads per process of `rmtlib.experiments.mapper.Mapper` (None: the
        backend of the command line, ``--workers`` / ``--scheduler``).

    Returns
    -------
    dict
        ``sweep`` ({label: {n: `forward_moments` arrays}}), ``stats`` ({label:
        `rmtlib.experiments.jacobian_moments.moment_statistics`}), ``ns``, ``seeds``.
    """
    sweep, stats = _moment_study({"setting": setting}, depths=[depth], entries_list=entries_list, ns=ns,
                                 seeds=seeds, seed=seed, workers=workers, blas_threads=blas_threads)
    return {"sweep": sweep["setting"][depth], "stats": stats["setting"][depth], "ns": sorted(ns), "seeds": seeds}


def depth_moments(*, depths, ns, seeds, seed, workers=None, blas_threads=None):
    """Simulated and limiting m_1, m_2 of J J^T against depth for `criticality_configs` (Gaussian weights).

    Parameters
    ----------
    depths : list of int
        Simulated depths.
    ns : list of int
        At least three widths (the checks extrapolate to 1/n = 0).
    seeds : int or dict
        Seeds per width.
    seed : int
        Root seed.
    workers, blas_threads : int, optional
        Processes and BLAS threads per process of `rmtlib.experiments.mapper.Mapper` (None: the
        backend of the command line, ``--workers`` / ``--scheduler``).

    Returns
    -------
    dict
        ``configs``, ``stats`` ({name: {L: `moment_statistics`}}), ``theory`` ({name: array of the
        unperturbed (m_1, m_2) for L = 1..max(depths)}, for the figure), ``depths``, ``ns``.
    """
    configs = criticality_configs()
    _, stats = _moment_study(configs, depths=depths, entries_list=["gaussian"], ns=ns, seeds=seeds, seed=seed,
                             workers=workers, blas_threads=blas_threads)
    stats = {c: {L: by_label["gaussian"] for L, by_label in by_L.items()} for c, by_L in stats.items()}
    theory = {c: np.array([jac.limit_moments(depth=L, **cfg) for L in range(1, max(depths) + 1)])
              for c, cfg in configs.items()}
    return {"configs": configs, "stats": stats, "theory": theory, "depths": list(depths), "ns": sorted(ns),
            "glue": {"sw_crit": configs["tanh critical"]["sigma_w"], "crit_L": max(depths)}}


def rectangular(*, n, seed):
    """The rectangular cases (`RECT_CASES`): one network each with output width n and its law.

    Parameters
    ----------
    n : int
        Output width n_L (the other widths are ``round(c_l n)``).
    seed : int
        Root seed (one child per case).

    Returns
    -------
    dict
        ``{name: {"run", "law", "widths", "zero_fraction", "band"}}`` and ``"glue"`` (KS, atom mass,
        zero fraction per case).  ``zero_fraction`` is the exact ``1 - n_0 / n_L`` of a narrow input
        layer; ``band`` (ReLU only) the interval of `zero_fraction_band` around 1/2, the rank of the
        output layer.
    """
    out, glue = {}, {}
    children = np.random.SeedSequence(seed).spawn(len(jx.RECT_CASES))
    tasks = [{**cfg, "depth": len(ratios) - 1, "n": n, "entries": "gaussian", "ratios": ratios, "seed": child,
              "keep": True} for (cfg, ratios), child in zip(jx.RECT_CASES.values(), children)]
    runs = map_tasks(jx.run_task, tasks, label="jacobian rectangular")
    for k, ((name, (cfg, ratios)), run) in enumerate(zip(jx.RECT_CASES.items(), runs)):
        depth = len(ratios) - 1
        widths = [int(round(c * n)) for c in ratios]
        law = jx.theory_law(cfg["activation"], depth, cfg["sigma_w"], cfg["sigma_b"], None,
                            tuple(w / widths[-1] for w in widths))
        glue.update({f"rect_ks_{k}": run["ks"], f"rect_atom_{k}": law.atom_mass(0.0),
                     f"rect_frac_{k}": run["atom_fraction"]})
        half = jx.zero_fraction_band(0.5, n)[1]
        out[name] = {"run": run, "law": law, "widths": widths, "zero_fraction": 1 - widths[0] / widths[-1],
                     "band": [0.5 - half, 0.5 + half] if cfg["activation"] == "relu" else None}
    return {"cases": out, "glue": glue}
