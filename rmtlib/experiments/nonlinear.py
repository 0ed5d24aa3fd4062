"""Monte Carlo statistics of the nonlinear chapter (notebooks/nonlinear.ipynb) and their calibration.

`run(settings, seed)` draws every simulated object of the chapter once (pure function of the
settings and the seed) and returns the measured statistics (KS distances, relative errors of the
training loss); `calibrate(profile, seeds)` evaluates it for >= 10 seeds and stores the
thresholds (safety x max over the seeds) in ``tests/data/nonlinear_calibration.json``.
The theoretical laws are computed once per parameter set and cached.
"""

import functools
import json
from pathlib import Path

import numpy as np

from rmtlib.models import layers, nonlinear as nl
from rmtlib import spectra

DEFAULTS = {
    "n0": 1000,
    "activations": ["tanh", "relu_centered", "abs_centered", "linear"],
    "shapes": [[0.5, 1.0], [1.0, 0.5]],
    "mem_n0": 400,
    "mem_cases": [["tanh", 0.5, 0.5], ["relu_centered", 1.0, 0.5], ["abs_centered", 0.5, 1.0]],
    "gammas": [0.01, 0.1, 1.0],
    "mem_draws": 3,
    "layer_n": 1000,
    "layer_alphas": [1.0, 0.0],
    "depth": 5,
}
SAFETY = 1.5
_PATH = Path(__file__).resolve().parents[1] / "compendium" / "data" / "nonlinear_calibration.json"


@functools.cache
def law(activation, phi, psi):
    """Cached `nonlinear.gram_law` for a registry name."""
    return nl.gram_law(activation, phi=phi, psi=psi)


@functools.cache
def layer_laws(alpha, phi, depth):
    """Cached `nonlinear.layer_laws` for f_alpha."""
    return tuple(layers.layer_laws(layers.alpha_family(alpha), phi=phi, depth=depth))


def _sizes(n0, phi, psi):
    return round(n0 / psi), round(n0 / phi)


def density_draws(settings, seed):
    """Eigenvalues for every (activation, shape), for W Rademacher (tanh) and the equivalent model."""
    s = {**DEFAULTS, **settings}
    n0 = s["n0"]
    cases = [(a, tuple(sh)) for sh in s["shapes"] for a in s["activations"]]
    seqs = np.random.SeedSequence(seed).spawn(len(cases) + 2 * len(s["shapes"]))
    out = {}
    for (act, (phi, psi)), ss in zip(cases, seqs):
        n1, m = _sizes(n0, phi, psi)
        out[(act, phi, psi, "gaussian")] = nl.sample_gram(act, n0=n0, n1=n1, m=m, rng=np.random.default_rng(ss))
    extra = seqs[len(cases):]
    for k, (phi, psi) in enumerate(map(tuple, s["shapes"])):
        n1, m = _sizes(n0, phi, psi)
        out[("tanh", phi, psi, "rademacher")] = nl.sample_gram(
            "tanh", n0=n0, n1=n1, m=m, rng=np.random.default_rng(extra[2 * k]), w_entries="rademacher")
        eta, zeta = nl.eta_zeta("tanh")
        out[("tanh", phi, psi, "equivalent")] = nl.sample_gram_equivalent(
            eta=eta, zeta=zeta, n0=n0, n1=n1, m=m, rng=np.random.default_rng(extra[2 * k + 1]))
    return out


def key(act, phi, psi, kind):
    """Statistic name of one density case."""
    return f"ks_{act}_{phi:g}_{psi:g}_{kind}".replace(".", "p")


def memorization(settings, seed):
    """Theory and the mean of ``mem_draws`` Monte Carlo draws of E_train(gamma) for each of ``mem_cases``.

    Returns
    -------
    dict
        (activation, phi, psi) -> (theory array, Monte Carlo array), over ``gammas``.
    """
    s = {**DEFAULTS, **settings}
    gam = np.asarray(s["gammas"], dtype=float)
    out = {}
    for j, (act, phi, psi) in enumerate(s["mem_cases"]):
        eta, zeta = nl.eta_zeta(act)
        theory = nl.training_loss(gam, eta=eta, zeta=zeta, phi=phi, psi=psi)
        n1, m = _sizes(s["mem_n0"], phi, psi)
        seqs = np.random.SeedSequence([seed, 1, j]).spawn(s["mem_draws"])
        mc = np.mean([nl.training_loss_mc(act, gam, n0=s["mem_n0"], n1=n1, m=m, rng=q) for q in seqs], axis=0)
        out[(act, phi, psi)] = (theory, mc)
    return out


def layer_draws(settings, seed):
    """Spectra of layers 0..depth (width n, m = 2n) for each alpha of ``layer_alphas``."""
    s = {**DEFAULTS, **settings}
    n = s["layer_n"]
    return {alpha: layers.sample_layers(layers.alpha_family(alpha), n=n, m=2 * n, depth=s["depth"],
                                    rng=np.random.SeedSequence([seed, 2, j]))
            for j, alpha in enumerate(s["layer_alphas"])}


def mem_key(act, phi, psi, gamma):
    """Statistic name of one training-loss case."""
    return f"mem_{act}_{phi:g}_{psi:g}_{gamma:g}".replace(".", "p").replace("-", "m")


def layer_key(alpha, ell, reference):
    """Statistic name of the KS distance of layer ell to its own law or to the first layer's law."""
    return f"layer_{alpha:g}_{ell}_{reference}".replace(".", "p").replace("-", "m")


def statistics(settings, draws, mem, layers):
    """The statistics of one seed from its draws (see `run`)."""
    s = {**DEFAULTS, **settings}
    stats = {}
    for (act, phi, psi, kind), ev in draws.items():
        stats[key(act, phi, psi, kind)] = spectra.ks_distance(ev, law(act, phi, psi)).statistic
    errors = []
    for (act, phi, psi), (theory, mc) in mem.items():
        for g, t, v in zip(s["gammas"], theory, mc):
            stats[mem_key(act, phi, psi, g)] = abs(v / t - 1.0)
            errors.append(v / t - 1.0)
    if errors:
        stats["mem_rms"] = float(np.sqrt(np.mean(np.square(errors))))
    for alpha, spec in layers.items():
        laws_ = layer_laws(alpha, 0.5, s["depth"])
        for ell, ev in enumerate(spec):
            stats[layer_key(alpha, ell, "own")] = spectra.ks_distance(ev, laws_[ell]).statistic
            stats[layer_key(alpha, ell, "first")] = spectra.ks_distance(ev, laws_[1]).statistic
    return stats


def run(settings, seed):
    """All statistics of one seed: KS per density case, |E_train MC / theory - 1|, layer KS distances.

    Returns
    -------
    dict of float
    """
    return statistics(settings, density_draws(settings, seed), memorization(settings, seed),
                      layer_draws(settings, seed))


def calibrate(profile, settings, seeds=range(1, 11), *, path=_PATH, only_memorization=False):
    """Run `run` for each seed, store values and thresholds (SAFETY x max) under `profile`.

    With ``only_memorization`` only the training-loss statistics are recomputed and merged
    into the stored calibration (the other statistics do not depend on the memorization settings).
    """
    values = {}
    for seed in seeds:
        stats = (statistics(settings, {}, memorization(settings, seed), {}) if only_memorization
                 else run(settings, seed))
        for k, v in stats.items():
            values.setdefault(k, []).append(float(v))
    doc = json.loads(path.read_text()) if path.is_file() else {
        "description": "Thresholds of notebooks/nonlinear.ipynb: statistics of rmtlib.nonlinear_mc.run(settings, seed) "
                       "for the listed seeds; threshold = safety x max over the seeds. "
                       "Generated by rmtlib.nonlinear_mc.calibrate."}
    if only_memorization:
        old = doc[profile]
        values = {**{k: v for k, v in old["values"].items() if not k.startswith("mem_")}, **values}
    doc[profile] = {"seeds": list(seeds), "safety": SAFETY, "settings": {**DEFAULTS, **settings},
                    "values": values, "thresholds": {k: SAFETY * max(v) for k, v in values.items()},
                    "lower_thresholds": {k: min(v) / SAFETY for k, v in values.items()}}
    path.write_text(json.dumps(doc, indent=1))
    return doc[profile]
