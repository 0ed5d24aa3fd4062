"""Experiments of the nonlinear chapter (notebooks/nonlinear.ipynb): the spectrum of f(WX).

One function per section returns plain results (numbers, arrays, laws, KS distances):
`eta_zeta_table`, `law_properties`, `density_panels` and `layer_study`; the size sweeps and the
ridge-regression fits are in :mod:`rmtlib.experiments.nonlinear_sweeps` and
:mod:`rmtlib.experiments.nonlinear_ridge`. The Monte Carlo functions (`density_draws`,
`layer_draws`) are cached simulations (`rmtlib.experiments.cache`); every law a check compares
them with goes through `rmtlib.experiments.theory` (`law`, `layer_laws`), so that a power run
perturbs the theory and not the samples. `statistics(settings, seed)` maps the settings and a seed
to the KS distances whose regression bounds are calibrated over independent seeds.
"""

import functools
import time
from typing import NamedTuple

import numpy as np
from scipy import special

from rmtlib import free, laws, spectra
from rmtlib.experiments import theory
from rmtlib.experiments.cache import simulation
from rmtlib.experiments.mapper import map_tasks
from rmtlib.models import layers, nonlinear as nl

__all__ = ["DEFAULTS", "CLOSED_FORMS", "Panel", "constants", "law", "unperturbed_law", "layer_laws", "sizes",
           "density_cases", "density_task", "layer_task", "density_draws", "layer_draws", "key", "layer_key",
           "statistics", "eta_zeta_table", "law_properties", "density_panels", "layer_study"]

DEFAULTS = {
    "n0": 1000,
    "activations": ["tanh", "relu_centered", "abs_centered", "linear"],
    "shapes": [[0.5, 1.0], [1.0, 0.5]],
    "layer_n": 1000,
    "layer_alphas": [1.0, 0.0],
    "depth": 5,
}

_PDF1 = np.exp(-0.5) / np.sqrt(2 * np.pi)
_P_IN = float(special.erf(1 / np.sqrt(2)))  # P(|xi| < 1)
CLOSED_FORMS = {
    "relu_centered": (0.5 - 0.5 / np.pi, 0.25),
    "abs_centered": (1 - 2 / np.pi, 0.0),
    "erf": (2 / np.pi * np.arcsin(2 / 3), 4 / (3 * np.pi)),
    "hard_tanh": (1 - 2 * _PDF1, _P_IN**2),
    "sign": (1.0, 2 / np.pi),
    "linear": (1.0, 1.0),
}
"""Closed forms of (eta, zeta) at sigma = 1 (Gaussian integrals of the elementary activations)."""


class Panel(NamedTuple):
    """One simulated spectrum with the law it is compared with and their split KS distance."""

    eigenvalues: np.ndarray
    law: object
    ks: spectra.SplitKS


def constants(activation):
    """The theory's (eta, zeta) of an activation: `nonlinear.eta_zeta`, perturbed in power runs.

    ``--perturb eta=f`` multiplies eta and ``zeta=f`` multiplies zeta (capped at eta, the largest
    value the law allows) through `theory.parameter`.
    """
    eta, zeta = nl.eta_zeta(activation)
    eta = theory.parameter("eta", eta)
    return eta, min(theory.parameter("zeta", zeta), eta)


@functools.cache
def _gram_law(eta, zeta, phi, psi):
    return nl.gram_law(eta=eta, zeta=zeta, phi=phi, psi=psi)


@functools.cache
def _compared(eta, zeta, phi, psi, scale):
    return theory.law(_gram_law(eta, zeta, phi, psi))  # scale keys the cache: theory.law reads it


def unperturbed_law(activation, phi, psi):
    """`nonlinear.gram_law` of an activation at phi, psi, never perturbed (for exact checks; cached)."""
    return _gram_law(*nl.eta_zeta(activation), phi, psi)


def law(activation, phi, psi):
    """The law the checks compare f(WX) with: `nonlinear.gram_law` at `constants`, through `theory.law`.

    Parameters
    ----------
    activation : str or Activation
    phi, psi : float

    Returns
    -------
    SpectralLaw
        A PenningtonWorahLaw (cached), or its pushforward under a scale perturbation.
    """
    return _compared(*constants(activation), phi, psi, theory.scale())


@functools.cache
def _layer_laws(alpha, phi, depth):
    return tuple(layers.layer_laws(layers.alpha_family(alpha), phi=phi, depth=depth))


def layer_laws(alpha, phi, depth):
    """`layers.layer_laws` of f_alpha (`layers.alpha_family`) at phi = n/m, each through `theory.law`."""
    return tuple(theory.law(each) for each in _layer_laws(alpha, phi, depth))


def sizes(n0, phi, psi):
    """(n1, m) = (n0 / psi, n0 / phi), rounded."""
    return round(n0 / psi), round(n0 / phi)


def density_cases(settings):
    """The density cases (activation, phi, psi, kind) of `density_draws`, in its order."""
    s = {**DEFAULTS, **settings}
    cases = [(a, *map(float, sh), "gaussian") for sh in s["shapes"] for a in s["activations"]]
    return cases + [("tanh", *map(float, sh), kind) for sh in s["shapes"] for kind in ("rademacher", "equivalent")]


@simulation
def density_draws(settings, seed):
    """Eigenvalues for every (activation, shape), for W Rademacher (tanh) and the equivalent model.

    Parameters
    ----------
    settings : dict
        ``n0``, ``activations``, ``shapes`` (missing keys take `DEFAULTS`).
    seed : int
        Root of the `numpy.random.SeedSequence` spawned into one stream per draw.

    Returns
    -------
    dict
        (activation, phi, psi, kind) -> eigenvalues, kind in "gaussian", "rademacher", "equivalent".
    """
    s = {**DEFAULTS, **settings}
    n0 = s["n0"]
    cases = [(a, *map(float, sh), "gaussian") for sh in s["shapes"] for a in s["activations"]]
    extra = [("tanh", *map(float, sh), kind) for sh in s["shapes"] for kind in ("rademacher", "equivalent")]
    seqs = np.random.SeedSequence(seed).spawn(len(cases) + len(extra))
    tasks = [(case, n0, ss) for case, ss in zip(cases + extra, seqs)]
    drawn = map_tasks(density_task, tasks, label="nonlinear densities")
    return dict(zip(cases + extra, drawn))


def density_task(task):
    """Eigenvalues of one draw ``((activation, phi, psi, kind), n0, seed)`` of :func:`density_draws`."""
    (act, phi, psi, kind), n0, ss = task
    n1, m = sizes(n0, phi, psi)
    rng = np.random.default_rng(ss)
    if kind == "equivalent":
        eta, zeta = nl.eta_zeta(act)
        return nl.sample_gram_equivalent(eta=eta, zeta=zeta, n0=n0, n1=n1, m=m, rng=rng)
    return nl.sample_gram(act, n0=n0, n1=n1, m=m, rng=rng, **({} if kind == "gaussian" else {"w_entries": kind}))


@simulation
def layer_draws(settings, seed):
    """Spectra of layers 0..depth (width n, m = 2n) for each alpha of ``layer_alphas``.

    Parameters
    ----------
    settings : dict
        ``layer_n``, ``layer_alphas``, ``depth`` (missing keys take `DEFAULTS`).
    seed : int
        Root seed (alpha number j draws from ``SeedSequence([seed, 2, j])``).

    Returns
    -------
    dict
        alpha -> list of depth + 1 arrays of eigenvalues.
    """
    s = {**DEFAULTS, **settings}
    n = s["layer_n"]
    tasks = [(alpha, n, s["depth"], np.random.SeedSequence([seed, 2, j])) for j, alpha in enumerate(s["layer_alphas"])]
    return dict(zip(s["layer_alphas"], map_tasks(layer_task, tasks, label="nonlinear layers")))


def layer_task(task):
    """Spectra of layers 0..depth of one f_alpha network, task ``(alpha, n, depth, seed)`` (m = 2n)."""
    alpha, n, depth, ss = task
    return layers.sample_layers(layers.alpha_family(alpha), n=n, m=2 * n, depth=depth, rng=ss)


def key(act, phi, psi, kind):
    """Statistic name of one density case."""
    return f"ks_{act}_{phi:g}_{psi:g}_{kind}".replace(".", "p")


def layer_key(alpha, ell, reference):
    """Statistic name of the KS distance of layer ell to its own law or to the first layer's law."""
    return f"layer_{alpha:g}_{ell}_{reference}".replace(".", "p").replace("-", "m")


def _statistics(settings, draws, layer_spectra):
    """The statistics of one seed from its density draws and layer spectra."""
    s = {**DEFAULTS, **settings}
    stats = {}
    for (act, phi, psi, kind), ev in draws.items():
        stats[key(act, phi, psi, kind)] = spectra.ks_distance(ev, law(act, phi, psi)).statistic
    for alpha, spectrum in layer_spectra.items():
        laws_ = layer_laws(alpha, 0.5, s["depth"])
        for ell, ev in enumerate(spectrum):
            stats[layer_key(alpha, ell, "own")] = spectra.ks_distance(ev, laws_[ell]).statistic
            stats[layer_key(alpha, ell, "first")] = spectra.ks_distance(ev, laws_[1]).statistic
    return stats


def statistics(settings, seed):
    """All simulated statistics of one seed (a pure function of the settings and the seed).

    Parameters
    ----------
    settings : dict
        Sizes and cases (missing keys take `DEFAULTS`).
    seed : int
        Root seed of the draws.

    Returns
    -------
    dict of float
        ``key(...)``: split KS distance of each density case to its law;
        ``layer_key(alpha, ell, "own" | "first")``: KS distance of layer ell to its own law and to
        the first layer's law.
    """
    return _statistics(settings, density_draws(settings, seed), layer_draws(settings, seed))


def eta_zeta_table(names=("tanh", *CLOSED_FORMS), *, sigma=2.0):
    """(eta, zeta) of registry activations, against the closed forms and an mpmath quadrature of tanh.

    Parameters
    ----------
    names : sequence of str
        Activations to tabulate (those of `CLOSED_FORMS` are compared with their closed form).
    sigma : float
        Pre-activation scale of the independent 20-digit mpmath check of tanh.

    Returns
    -------
    dict
        ``values`` {name: (eta, zeta)}, ``closed_deviation`` (largest deviation from `CLOSED_FORMS`),
        ``mpmath_deviation`` (tanh at ``sigma``) and ``seconds`` (time to compute ``values``).

    Notes
    -----
    eta = E f(sigma xi)^2 and zeta = (E xi f(sigma xi))^2, xi ~ N(0, 1): the two constants of the
    limiting law of Pennington & Worah (NeurIPS 2017), zeta written by Stein's lemma
    (sigma E f'(sigma xi) = E xi f(sigma xi)) so that no derivative is needed.
    """
    import mpmath  # optional: the test and book extras

    start = time.time()
    values = {name: nl.eta_zeta(name) for name in names}
    seconds = time.time() - start
    closed = max(abs(values[k][i] - CLOSED_FORMS[k][i]) for k in CLOSED_FORMS if k in values for i in (0, 1))
    mpmath.mp.dps = 20
    weight = lambda x: mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi)  # noqa: E731
    line = [-mpmath.inf, 0, mpmath.inf]
    eta = mpmath.quad(lambda x: mpmath.tanh(sigma * x) ** 2 * weight(x), line)
    first = mpmath.quad(lambda x: x * mpmath.tanh(sigma * x) * weight(x), line)
    mp_dev = max(abs(a - float(b)) for a, b in zip(nl.eta_zeta("tanh", sigma_x=sigma), (eta, first**2)))
    return {"values": values, "closed_deviation": closed, "mpmath_deviation": mp_dev, "seconds": seconds}


def law_properties(shapes, activations=("tanh", "erf", "relu_centered", "abs_centered")):
    """Independent checks of the quartic law: zeta = 0, linear f, moments, mass, one branch value.

    Parameters
    ----------
    shapes : sequence of (phi, psi)
        Ratios of the zeta = 0 and moment cases.
    activations : sequence of str
        Activations of the moment and mass cases.

    Returns
    -------
    dict
        ``zeta0_mp``, ``linear_free``, ``moments`` (relative), ``mass``: largest deviations;
        ``branch``: G(-0.5 + 0.01i) for tanh at phi = 0.5, psi = 1; ``rows``: (activation, phi, psi,
        support, atom at 0, [m1, m2, m3]); ``seconds``: time to build each law.

    Notes
    -----
    With zeta = 0 the law is Marchenko-Pastur of ratio phi/psi and scale eta; with linear f,
    G(z) = psi G_nu(z) + (1 - psi)/z, nu = MP(psi, 1/psi) box-times MP(phi) (free.multiply).
    """
    eta_abs = nl.eta_zeta("abs_centered")[0]
    zeta0 = 0.0
    for phi, psi in shapes:
        law0 = nl.gram_law(eta=eta_abs, zeta=0.0, phi=phi, psi=psi)
        mp = laws.MarchenkoPastur(phi / psi, variance=eta_abs)
        x = np.linspace(1e-3, 1.05 * mp.high, 600)
        zeta0 = max(zeta0, np.max(np.abs(law0.density(x) - mp.density(x))),
                    abs(law0.atom_mass(0.0) - mp.atom_mass(0.0)))
    linear = 0.0
    for phi, psi in [(0.5, 0.5), (1.0, 2.0), (0.25, 1.0)]:
        lin = nl.gram_law("linear", phi=phi, psi=psi)
        nu = free.multiply(laws.MarchenkoPastur(psi, variance=1 / psi), laws.MarchenkoPastur(phi))
        hi = lin.support[-1][1]
        x = np.linspace(0.02 * hi, 0.99 * hi, 400)
        z = np.linspace(-1, 1.2 * hi, 50) + 0.05j
        linear = max(linear, np.max(np.abs(lin.density(x) - psi * nu.density(x))),
                     np.max(np.abs(lin.stieltjes(z) - psi * nu.stieltjes(z) - (1 - psi) / z)))
    rows, moments, mass, seconds = [], 0.0, 0.0, []
    for act in activations:
        for phi, psi in shapes:
            start = time.time()
            pw = nl.gram_law(act, phi=phi, psi=psi)
            pw.support, pw.cdf(np.array([0.0]))
            seconds.append(time.time() - start)
            cont = [sum(tab.integrate(lambda x, k=k: x**k) for tab in pw._tables) for k in range(4)]
            mass = max(mass, abs(cont[0] + pw.atom_mass(0.0) - 1))
            moments = max(moments, *(abs(cont[k] / pw.moment(k) - 1) for k in (1, 2, 3)))
            rows.append((act, phi, psi, pw.support, pw.atom_mass(0.0), [pw.moment(k) for k in (1, 2, 3)]))
    branch = complex(nl.gram_law("tanh", phi=0.5, psi=1.0).stieltjes(np.array([-0.5 + 0.01j]))[0])
    return {"zeta0_mp": zeta0, "linear_free": linear, "moments": moments, "mass": mass, "branch": branch,
            "rows": rows, "seconds": seconds}


def density_panels(settings, seed):
    """Every density case of `density_draws` with its law and split KS distance.

    Parameters
    ----------
    settings, seed
        As for `density_draws`.

    Returns
    -------
    dict
        (activation, phi, psi, kind) -> `Panel`, in the order of `density_draws`.
    """
    return {case: Panel(ev, law(*case[:3]), spectra.ks_distance(ev, law(*case[:3])))
            for case, ev in density_draws(settings, seed).items()}


def layer_study(settings, seed, *, phi=0.5):
    """Spectra through layers of f_alpha against the layer laws and the first layer's law.

    Parameters
    ----------
    settings, seed
        As for `layer_draws`.
    phi : float
        n / m of the layer laws (the draws have m = 2n).

    Returns
    -------
    dict
        ``laws`` {alpha: laws of layers 0..depth}, ``seconds`` (time to build them), ``zeta``
        {alpha: zeta of f_alpha}, ``own`` {alpha: [Panel per layer]} (against its own law) and
        ``first`` {alpha: [SplitKS per layer]} (against the first layer's law).
    """
    s = {**DEFAULTS, **settings}
    start = time.time()
    theory = {alpha: layer_laws(alpha, phi, s["depth"]) for alpha in s["layer_alphas"]}
    seconds = time.time() - start
    draws = layer_draws(s, seed)
    own = {a: [Panel(ev, theory[a][ell], spectra.ks_distance(ev, theory[a][ell])) for ell, ev in enumerate(spectrum)]
           for a, spectrum in draws.items()}
    first = {a: [spectra.ks_distance(ev, theory[a][1]) for ev in spectrum] for a, spectrum in draws.items()}
    zeta = {a: nl.eta_zeta(layers.alpha_family(a))[1] for a in s["layer_alphas"]}
    return {"laws": theory, "seconds": seconds, "zeta": zeta, "own": own, "first": first}
