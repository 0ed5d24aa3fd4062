"""One property test over the whole public API of the core and the models.

The table `API` is the specification: each row names a public callable and, for every parameter,
a *kind* (a valid default, a hypothesis strategy of valid values and a list of invalid ones: NaN,
+-inf, negative, zero, empty, complex, huge, wrong type). Three properties are checked for every row:

- valid input gives a finite result that keeps the law contract where the result is a law
  (total mass 1 +- 1e-6, cdf monotone in [0, 1], density >= 0, Im G <= 0 on the upper half-plane);
- an invalid value of any one parameter raises ValueError or TypeError whose message names that
  parameter (never a bare numpy, numba, ZeroDivision, Overflow, Index, Attribute or Key error);
- every sampler gives the same numbers for the same seed.

Sizes are tiny so that the file runs in well under a minute on two loaded cores.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from rmtlib import activations, entries, free, laws, spectra
from rmtlib.models import (deformed, jacobian, layers, mean_field, networks, nonlinear, pennington_worah,
                           percolation, products, spiked, spinglass)
from rmtlib.spectral_law import Scaled, SpectralLaw

NAN, INF = float("nan"), float("inf")
HUGE_INT = 10**12


# ----------------------------------------------------------------------------- parameter kinds
@dataclass(frozen=True)
class Kind:
    """A parameter kind: valid values (a strategy), invalid ones (each must be refused)."""

    name: str
    valid: st.SearchStrategy
    invalid: tuple

    def __call__(self, default, valid=None, *, also=(), allow=()):
        """A parameter of this kind with a valid `default`; `also` adds invalid values, `allow` removes."""
        bad = tuple(v for v in self.invalid + tuple(also) if not any(_same(v, a) for a in allow))
        return Param(self, default, valid if valid is not None else self.valid, bad)


@dataclass(frozen=True)
class Param:
    kind: Kind
    default: object
    valid: st.SearchStrategy
    invalid: tuple


def _same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and np.isnan(a) and np.isnan(b):
        return True
    if isinstance(a, list):
        try:
            return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))
        except (TypeError, ValueError):
            pass
    try:
        return bool(a == b)
    except Exception:
        return False


NOT_A_NUMBER = ("1.0", None, [1.0], 1 + 1j, NAN, INF, -INF)
REAL = Kind("real", st.floats(-3, 3), NOT_A_NUMBER)
POS = Kind("positive", st.floats(0.25, 4), NOT_A_NUMBER + (0.0, -1.0, -1e300))
NONNEG = Kind("non-negative", st.floats(0, 2), NOT_A_NUMBER + (-1e-3, -1e300))
PROB = Kind("probability", st.floats(0.05, 1.0), NOT_A_NUMBER + (0.0, -0.5, 1.5))
RATIO = Kind("ratio in (0, 1]", st.floats(0.1, 1.0), NOT_A_NUMBER + (0.0, -0.5, 1.5))
NOT_AN_INT = (2.5, "3", None, NAN, INF, True, 1 + 0j)
SIZE = Kind("size >= 1", st.integers(1, 6), NOT_AN_INT + (0, -1, HUGE_INT))
COUNT = Kind("integer >= 0", st.integers(0, 4), NOT_AN_INT + (-1,))
SEED = Kind("rng", st.sampled_from([0, 7, 2**40]), (-1, 1.5, "0", None, NAN, object()))
NOT_A_LAW = ("notalaw", 1.0, None, [1.0, 2.0])
LAW = Kind("law", st.sampled_from([laws.Semicircle(), laws.PointMasses([0.0, 1.0]), laws.Uniform(-1, 1)]),
           NOT_A_LAW)
ACT = Kind("activation", st.sampled_from(["tanh", "erf"]),
           ("nosuch", 3, None, ("tanh",), (np.tanh, "x")))
ENTRY = Kind("entry law", st.sampled_from(["gaussian", "rademacher", "uniform"]), ("nosuch", 3, None))
BOOL = Kind("bool", st.booleans(), ("yes", None, 2))
EMPTY_OR_BAD = ([], [NAN], [INF], [1.0, -INF], [1j, 2.0], "abc", None, [[1.0, 2.0], [3.0]])
POINTS = Kind("real points", st.lists(st.floats(-3, 3), min_size=1, max_size=4),
              (NAN, [NAN], [INF], [1j], "abc", None, [[1.0, 2.0], [3.0]]))
VECTOR = Kind("real vector", st.lists(st.floats(-3, 3), min_size=1, max_size=4), EMPTY_OR_BAD)
POS_VECTOR = Kind("positive vector", st.lists(st.floats(0.25, 2), min_size=1, max_size=3),
                  EMPTY_OR_BAD + ([1.0, 0.0], [-1.0], [1e300 * 10]))
DIMS = Kind("sizes (N_0, ..., N_K)", st.lists(st.integers(1, 5), min_size=2, max_size=3).map(tuple),
            ((), (3,), (3, 0), (3, -1), (3, 2.5), "34", None, (3, HUGE_INT), 3))
MATRIX = Kind("real matrix", st.just(np.eye(3)),
              ([], [[NAN, 0.0], [0.0, 1.0]], [[1j]], "abc", None, [1.0, 2.0], np.ones((2, 3, 1))))
Z_UPPER = Kind("complex points", st.lists(st.complex_numbers(min_magnitude=0.5, max_magnitude=4).filter(
    lambda z: z.imag > 0.1), min_size=1, max_size=3), ("abc", None, [NAN + 1j]))


def fixed(value):
    """A parameter that is passed but not varied (its invalid values are not listed)."""
    return Param(Kind("fixed", st.just(value), ()), value, st.just(value), ())


# ----------------------------------------------------------------------------- the table
@dataclass
class Api:
    """One public callable: its parameters (positional first) and what its result must satisfy."""

    fn: object
    positional: dict
    keywords: dict = field(default_factory=dict)
    examples: int = 6
    sampler: bool = False
    nan_ok: bool = False  # documented NaN entries in the result (e.g. 'no outlier')
    xfail: dict = field(default_factory=dict)  # {parameter: reason} for defects outside this helper's files
    xfail_valid: str = ""  # a known defect outside this helper's files that valid input hits
    id: str = ""

    def __post_init__(self):
        fn = self.fn.func if isinstance(self.fn, functools.partial) else self.fn
        self.id = self.id or f"{fn.__module__.replace('rmtlib.', '')}.{fn.__qualname__}"
        self.params = {**self.positional, **self.keywords}

    def call(self, values):
        args = [values[k] for k in self.positional]
        return self.fn(*args, **{k: values[k] for k in self.keywords})

    def defaults(self):
        return {k: p.default for k, p in self.params.items()}


def _method(make, name):
    """A bound method of a freshly built object (so cached properties do not leak between calls)."""
    def call(*args, **kwargs):
        return getattr(make(), name)(*args, **kwargs)
    call.__module__, call.__qualname__ = "rmtlib.spectral_law", f"SpectralLaw.{name}"
    return call


SC, PM = laws.Semicircle(), laws.PointMasses([0.0, 1.0], [0.25, 0.75])
NET = networks.MLP((3, 4, 2))
X3, Y3 = np.random.default_rng(0).standard_normal((5, 3)), np.array([0, 1, 0, 1, 1])
W = np.random.default_rng(1).standard_normal((6, 4))
JLAW = jacobian.jacobian_law("tanh", depth=2, sigma_w=1.2, sigma_b=0.1)
CHAIN = JLAW._chain
SC_ONLY = st.just(SC)
SYM = (lambda a: a + a.T)(np.random.default_rng(2).standard_normal((6, 6)))
MATVEC = SYM.__matmul__

API = [
    # ------------------------------------------------------------- rmtlib.laws and spectral_law
    Api(laws.Semicircle, {}, {"variance": POS(1.0)}),
    Api(laws.MarchenkoPastur, {"ratio": POS(0.5)}, {"variance": POS(1.0)}),
    Api(laws.Uniform, {"low": REAL(-1.0, st.floats(-3, -0.5)), "high": REAL(1.0, st.floats(0.0, 3))}),
    Api(laws.PointMasses, {"locations": VECTOR([0.0, 1.0], st.lists(st.floats(-3, 3), min_size=2, max_size=2)),
                           "weights": VECTOR([1.0, 3.0], st.just([1.0, 3.0]), also=([-1.0, 2.0], [1.0]), allow=(None,))}),
    Api(laws.Empirical, {"eigenvalues": VECTOR([0.0, 1.0, 2.0])}),
    Api(laws.GaussianPushforward, {"g": Kind("callable", st.just(np.tanh), ("tanh", None, 3))(np.tanh)},
        {"kinks": POINTS((), st.just(())), "z_max": POS(8.5, st.floats(5, 9), also=(1.0, 4.0, 1e300)),
         "panel_width": POS(0.5, st.floats(0.3, 1)),
         "nodes_per_panel": SIZE(16, st.integers(4, 16), also=(1,))}, examples=3),
    Api(Scaled, {"base": LAW(SC), "factor": POS(2.0)}),
    Api(_method(lambda: laws.Semicircle(), "moment"), {"k": COUNT(2, also=(2000,))}),
    Api(_method(lambda: laws.PointMasses([0.0, 1.0]), "atom_mass"), {"at": REAL(0.0)},
        {"tol": NONNEG(0.0)}),
    Api(_method(lambda: laws.Semicircle(), "scaled"), {"factor": POS(2.0)}),
    Api(_method(lambda: laws.Semicircle(), "stieltjes"), {"z": Z_UPPER([1j], allow=([NAN + 1j],))}),
    Api(_method(lambda: laws.Semicircle(), "density"), {"x": POINTS([0.5], allow=(NAN, [NAN], [INF]))}),
    Api(_method(lambda: laws.Semicircle(), "cdf"), {"x": POINTS([0.5], allow=(NAN, [NAN], [INF]))}),
    # ------------------------------------------------------------- rmtlib.free
    Api(free.add, {"mu": LAW(SC, SC_ONLY), "nu": LAW(PM, st.just(PM))}, examples=1),
    Api(free.multiply, {"mu": LAW(laws.MarchenkoPastur(0.5), st.just(laws.MarchenkoPastur(0.5))),
                        "nu": LAW(PM, st.just(PM))}, examples=1),
    # ------------------------------------------------------------- rmtlib.entries
    Api(functools.partial(entries.sample, rng=0), {"name": ENTRY("gaussian"), "shape": SIZE(3, allow=(0,))},
        {"rng": SEED(0)}, sampler=True),
    Api(functools.partial(entries.sample, "student_t", 4), {}, {"nu": POS(5.0, st.floats(2.5, 9), also=(2.0, 1.0)), "rng": SEED(0)},
        sampler=True),
    Api(functools.partial(entries.sample, "sparse", 4), {}, {"p": PROB(0.5), "rng": SEED(0)}, sampler=True),
    Api(functools.partial(entries.sample, "pareto_symmetric", 4), {}, {"alpha": POS(5.0), "rng": SEED(0)},
        sampler=True),
    Api(entries.fourth_moment, {"name": ENTRY("gaussian")}),
    Api(entries.has_unit_variance, {"name": ENTRY("gaussian")}),
    Api(entries.resolve, {"spec": ENTRY("gaussian", also=(("sparse", {"p": -1.0}), ("sparse", 0.5)))},
        {"name": fixed("spec")}),
    # ------------------------------------------------------------- rmtlib.activations
    Api(activations.get, {"activation": ACT("tanh")}),
    Api(activations.register, {"activation": Kind("Activation", st.nothing(), ("tanh", None, 3))(None)},
        examples=0),
    # ------------------------------------------------------------- rmtlib.spectra
    Api(spectra.atom_fraction, {"eigenvalues": VECTOR([0.0, 0.0, 1.0]), "at": REAL(0.0)},
        {"tol": POS(1e-6, st.floats(1e-9, 1e-3), allow=(None,))}),
    Api(spectra.default_tol, {"eigenvalues": VECTOR([0.0, 1.0])}),
    Api(spectra.ks_distance, {"eigenvalues": VECTOR([-1.0, 0.0, 1.0]), "law": LAW(SC, SC_ONLY)},
        {"tol": POS(1e-6, st.floats(1e-9, 1e-3), allow=(None,))}),
    Api(spectra.ks_expected, {"n": SIZE(10, allow=(HUGE_INT,))}),
    Api(spectra.ks_statistic, {"sorted_points": VECTOR([0.0, 1.0], st.just([0.0, 1.0])),
                               "cdf_values": VECTOR([0.3, 0.8], st.just([0.3, 0.8]),
                                                    also=([0.5], [-0.1, 0.5], [0.5, 1.2]))}),
    Api(spectra.lanczos_law, {"matvec": Kind("callable", st.just(MATVEC), ("matvec", None, 3))(MATVEC),
                              "dim": SIZE(6, st.just(6))},
        {"steps": SIZE(3, st.integers(1, 6), allow=(HUGE_INT,)), "probes": SIZE(2, st.integers(1, 3)), "rng": SEED(0),
         "tol": POS(1e-8, st.floats(1e-10, 1e-6), allow=(None,))}),
    Api(spectra.discrete_cdf_distance, {"law": LAW(PM, st.just(PM)), "eigenvalues": VECTOR([0.0, 1.0])}),
    # ------------------------------------------------------------- models.deformed
    Api(deformed.rect_fullrank_law, {"hs": LAW(PM, st.just(PM))},
        {"ratio": RATIO(0.5, st.just(0.5)), "variance": POS(1.0, st.just(1.0))}, examples=1),
    Api(deformed.rect_fullrank_outliers, {"spikes": VECTOR([9.0], st.just([9.0]), allow=([],)), "hs": LAW(PM, st.just(PM))},
        {"ratio": RATIO(0.5, st.just(0.5)), "variance": POS(1.0, st.just(1.0))}, nan_ok=True, examples=1),
    Api(deformed.real_transforms, {"nu": LAW(SC, SC_ONLY), "u": VECTOR([3.0], st.just([3.0]), also=([0.5],), allow=([],))}),
    Api(deformed.outliers, {"thetas": VECTOR([2.0], allow=([],)), "nu": LAW(PM)}, {"variance": POS(1.0)}, nan_ok=True),
    Api(deformed.bulk_edges, {"nu": LAW(PM)}, {"variance": POS(1.0)}),
    Api(deformed.deformed_wigner_law, {"nu": LAW(PM, st.just(PM))}, {"variance": POS(1.0, st.just(1.0))},
        examples=1),
    Api(deformed.random_direction_outlier, {"theta": POS(3.0), "nu": LAW(PM)}, {"variance": POS(1.0)},
        nan_ok=True),
    Api(deformed.outlier_fluctuation_variance, {"theta": REAL(3.0), "nu": LAW(PM)},
        {"variance": POS(1.0), "fourth_cumulant": REAL(0.0, st.floats(-2, 3), also=(-2.5,))}, nan_ok=True),
    Api(deformed.cluster_sd_prediction, {"theta": REAL(3.0), "k": SIZE(2, allow=(HUGE_INT,)), "n": SIZE(50, allow=(HUGE_INT,)), "nu": LAW(PM)},
        {"variance": POS(1.0)}, nan_ok=True),
    Api(deformed.bulk_points, {"nu": LAW(SC, SC_ONLY), "n": SIZE(4)},
        {"grid": Kind("grid", st.sampled_from(["quantile", "iid"]), ("nosuch", None))("quantile"),
         "rng": SEED(0, allow=(None,))}),
    Api(deformed.sample_wigner, {"n": SIZE(4)},
        {"variance": POS(1.0), "entries": ENTRY("gaussian"), "rng": SEED(0)}, sampler=True),
    Api(deformed.sample_deformed_wigner, {"thetas": VECTOR([3.0], allow=([],)), "bulk": VECTOR([0.0, 1.0], allow=([],))},
        {"variance": POS(1.0), "entries": ENTRY("gaussian"), "rng": SEED(0)}, sampler=True),
    Api(deformed.measure_outliers, {"thetas": VECTOR([3.0], allow=([],)), "bulk": VECTOR([0.0, 1.0, 0.5])},
        {"variance": POS(1.0), "entries": ENTRY("gaussian"), "rng": SEED(0), "vectors": BOOL(True)},
        sampler=True, nan_ok=True),
    # ------------------------------------------------------------- models.mean_field and jacobian
    Api(mean_field.length_map, {"activation": ACT("tanh"), "q": NONNEG(1.0)},
        {"sigma_w": POS(1.2), "sigma_b": NONNEG(0.1)}),
    Api(mean_field.q_recursion, {"activation": ACT("tanh")},
        {"depth": SIZE(3), "sigma_w": POS(1.2), "sigma_b": NONNEG(0.1), "q0": NONNEG(1.0)}),
    Api(mean_field.fixed_point, {"activation": ACT("tanh")},
        {"sigma_w": POS(1.2, st.floats(0.5, 1.5)), "sigma_b": NONNEG(0.1, st.floats(0.05, 0.5)),
         "q0": POS(1.0)}),
    Api(mean_field.derivative_nodes, {"activation": ACT("tanh"), "q": NONNEG(1.0)}),
    Api(mean_field.chi, {"activation": ACT("tanh")},
        {"sigma_w": POS(1.2, st.floats(0.5, 1.5)), "sigma_b": NONNEG(0.1, st.floats(0.05, 0.5)),
         "q": NONNEG(1.0, allow=(None,))}),
    Api(mean_field.critical_sigma_w, {"activation": ACT("tanh", st.just("tanh"))},
        {"sigma_b": NONNEG(0.1, st.floats(0.05, 0.3)),
         "bracket": Kind("bracket", st.just((0.3, 5.0)), ((1.0,), (NAN, 2.0), (2.0, 1.0), "ab", None,
                                                          (-1.0, 2.0)))((0.3, 5.0))}, examples=2),
    Api(mean_field.layer_variances, {"activation": ACT("tanh")},
        {"depth": SIZE(3), "sigma_w": POS(1.2, st.floats(0.5, 1.5)),
         "sigma_b": NONNEG(0.1, st.floats(0.05, 0.5)), "q0": NONNEG(1.0, allow=(None,))}),
    Api(mean_field.input_at, {"activation": ACT("tanh")},
        {"sigma_w": POS(1.2, st.floats(0.5, 1.5)), "sigma_b": NONNEG(0.1, st.floats(0.05, 0.5))}),
    Api(jacobian.jacobian_law, {"activation": ACT("tanh", st.just("tanh"))},
        {"depth": SIZE(2, st.just(2), also=(10**6,)), "sigma_w": POS(1.2, st.just(1.2)),
         "sigma_b": NONNEG(0.1, st.just(0.1)),
         "width_ratios": POS_VECTOR([1.0, 1.0, 1.0], st.just([1.0, 1.0, 1.0]), also=([1.0, 1.0, 2.0],), allow=(None,)),
         "q0": NONNEG(1.0, st.just(1.0), allow=(None,))}, examples=1),
    Api(jacobian.free_chain, {"activation": ACT("tanh", st.just("tanh"))},
        {"depth": SIZE(2, st.just(2)), "sigma_w": POS(1.2, st.just(1.2)), "sigma_b": NONNEG(0.1, st.just(0.1)),
         "width_ratios": POS_VECTOR([1.0, 1.0, 1.0], st.just([1.0, 1.0, 1.0]), allow=(None,)),
         "q0": NONNEG(1.0, st.just(1.0), allow=(None,))}, examples=1),
    Api(jacobian.limit_moments, {"activation": ACT("tanh")},
        {"depth": SIZE(2, st.just(2)), "sigma_w": POS(1.2), "sigma_b": NONNEG(0.1),
         "width_ratios": POS_VECTOR([1.0, 1.0, 1.0], st.just([1.0, 1.0, 1.0]), allow=(None,)),
         "q0": NONNEG(1.0, allow=(None,))}),
    Api(jacobian.JacobianLaw, {"chain": Kind("chain", st.just(CHAIN), (None, "x", 3))(CHAIN),
                               "q": POS_VECTOR(JLAW.q, st.just(JLAW.q), allow=([1.0, 0.0],)),
                               "depth": SIZE(2, st.just(2))}, examples=1),
    Api(jacobian.sample_jacobian_spectrum, {"activation": ACT("tanh")},
        {"depth": SIZE(2), "widths": SIZE(4, also=((4, 4), (4, 0, 4), "44")), "sigma_w": POS(1.2, st.floats(0.5, 1.5)),
         "sigma_b": NONNEG(0.1), "entries": ENTRY("gaussian"),
         "x0": VECTOR(None, st.just(None), also=([1.0, 2.0],), allow=(None,)), "rng": SEED(0),
         "method": Kind("method", st.sampled_from(["svd", "eigh"]), ("nosuch", None))("svd")}, sampler=True),
    # ------------------------------------------------------------- models.layers
    Api(layers.alpha_family, {"alpha": REAL(0.0, st.floats(-1, 1), also=(1.5, -2.0))}),
    Api(layers.sample_layers, {"activation": ACT("tanh")},
        {"n": SIZE(3), "m": SIZE(4), "depth": SIZE(2), "rng": SEED(0), "w_entries": ENTRY("gaussian"),
         "center": BOOL(False)}, sampler=True),
    Api(layers.GramFromKernel, {"kernel_law": LAW(laws.MarchenkoPastur(0.5), st.just(laws.MarchenkoPastur(0.5)))},
        {"lam": POS(0.5, st.just(0.5))}, examples=1),
    Api(layers.layer_laws, {"activation": ACT("linear", st.just("linear"))},
        {"phi": POS(0.5, st.just(0.5)), "depth": SIZE(1, st.just(1))}, examples=1),
    # ------------------------------------------------------------- models.networks
    Api(networks.MLP, {"widths": DIMS((3, 2), also=((3, 1.5),))},
        {"activation": Kind("activation", st.sampled_from(["tanh", "relu"]), ("erf", None, 3))("tanh")}),
    Api(networks.ggn_rank_bound, {"n": SIZE(10, allow=(HUGE_INT, 0)), "classes": SIZE(3, allow=(HUGE_INT,)),
                                  "n_params": SIZE(50, allow=(HUGE_INT,))}),
    Api(networks.train_adam, {"net": Kind("MLP", st.just(NET), (None, "net", (3, 2)))(NET),
                              "x": MATRIX(X3, st.just(X3), also=(np.ones((5, 2)),)),
                              "y": VECTOR(Y3, st.just(Y3), also=([0, 1], [0, 1, 0, 1, 2], [0.5] * 5))},
        {"steps": SIZE(3, st.integers(1, 3)), "lr": POS(0.01), "weight_decay": NONNEG(1e-3),
         "rng": SEED(0)}, sampler=True, examples=3),
    Api(lambda net, theta, x, y, *, lr, batch, rng: networks.sgd_epoch(
        net, theta.copy() if isinstance(theta, np.ndarray) else theta, x, y, lr=lr, batch=batch, rng=rng),
        {"net": Kind("MLP", st.just(NET), (None, "net"))(NET),
         "theta": VECTOR(NET.init(rng=0), st.just(NET.init(rng=0)), also=([1.0, 2.0],)),
         "x": MATRIX(X3, st.just(X3), also=(np.ones((5, 2)),)), "y": VECTOR(Y3, st.just(Y3), also=([0, 1],))},
        {"lr": POS(0.01), "batch": SIZE(2, allow=(HUGE_INT,)), "rng": SEED(0)}, sampler=True, id="models.networks.sgd_epoch"),
    # ------------------------------------------------------------- models.nonlinear and pennington_worah
    Api(nonlinear.gaussian_moments, {"activation": ACT("tanh")},
        {"sigma": POS(1.0), "kinks": POINTS((), st.just(()))}),
    Api(nonlinear.eta_zeta, {"activation": ACT("tanh")},
        {"sigma_w": POS(1.0), "sigma_x": POS(1.0), "center": BOOL(False), "kinks": POINTS((), st.just(()))}),
    Api(nonlinear.gram_law, {}, {"eta": POS(1.0, st.just(1.0)), "zeta": NONNEG(0.5, st.just(0.5), also=(2.0,)),
                                 "phi": POS(0.5, st.just(0.5)), "psi": POS(0.5, st.just(0.5))}, examples=1),
    Api(functools.partial(nonlinear.gram_law, "tanh"), {}, {"phi": POS(0.5, st.just(0.5)),
                                                            "psi": POS(0.5, st.just(0.5)),
                                                            "sigma_w": POS(1.0, st.just(1.0)),
                                                            "sigma_x": POS(1.0, st.just(1.0)),
                                                            "center": BOOL(False, st.just(False))},
        examples=1, id="models.nonlinear.gram_law(activation)"),
    Api(pennington_worah.PenningtonWorahLaw, {}, {"eta": POS(1.0, st.just(1.0)),
                                                  "zeta": NONNEG(0.5, st.just(0.5), also=(2.0,)),
                                                  "phi": POS(0.5, st.just(0.5)), "psi": POS(0.5, st.just(0.5))},
        examples=1),
    Api(pennington_worah.training_loss, {"gamma": POS(0.1, allow=([1.0],))},
        {"eta": POS(1.0, st.just(1.0)), "zeta": NONNEG(0.5, st.floats(0, 1), also=(2.0,)),
         "phi": POS(0.5), "psi": POS(0.5)}),
    Api(nonlinear.training_loss, {"gamma": POS(0.1, allow=([1.0],))},
        {"eta": POS(1.0, st.just(1.0)), "zeta": NONNEG(0.5, st.floats(0, 1), also=(2.0,)),
         "phi": POS(0.5), "psi": POS(0.5)}),
    Api(pennington_worah.physical_root, {"z": Z_UPPER([1j])},
        {"eta": POS(1.0, st.just(1.0)), "zeta": NONNEG(0.5, st.floats(0, 1), also=(2.0,)),
         "phi": POS(0.5), "psi": POS(0.5)}),
    Api(nonlinear.physical_root, {"z": Z_UPPER([1j])},
        {"eta": POS(1.0, st.just(1.0)), "zeta": NONNEG(0.5, st.floats(0, 1), also=(2.0,)),
         "phi": POS(0.5), "psi": POS(0.5)}),
    Api(pennington_worah.quartic_branch, {"eta": POS(1.0, st.just(1.0)),
                                          "zeta": NONNEG(0.5, st.floats(0, 1), also=(2.0,)),
                                          "phi": POS(0.5), "psi": POS(0.5)}),
    Api(pennington_worah.spectral_scale, {"eta": POS(1.0, st.just(1.0)),
                                          "zeta": NONNEG(0.5, st.floats(0, 1), also=(2.0,)),
                                          "phi": POS(0.5), "psi": POS(0.5)}),
    Api(pennington_worah.derivative_u, {"u": Z_UPPER(1j, st.just(1j)), "s": Z_UPPER(1j, st.just(1j))},
        {"eta": POS(1.0, st.just(1.0)), "zeta": NONNEG(0.5, st.floats(0, 1), also=(2.0,)),
         "phi": POS(0.5), "psi": POS(0.5)}),
    Api(nonlinear.sample_features, {"activation": ACT("tanh")},
        {"n0": SIZE(3), "n1": SIZE(3), "m": SIZE(4), "rng": SEED(0), "sigma_w": POS(1.0), "sigma_x": POS(1.0),
         "w_entries": ENTRY("gaussian"), "x_entries": ENTRY("gaussian"), "center": BOOL(False)}, sampler=True),
    Api(nonlinear.sample_gram, {"activation": ACT("tanh")},
        {"n0": SIZE(3), "n1": SIZE(3), "m": SIZE(4), "rng": SEED(0), "sigma_w": POS(1.0), "sigma_x": POS(1.0),
         "w_entries": ENTRY("gaussian"), "x_entries": ENTRY("gaussian"), "center": BOOL(False)}, sampler=True),
    Api(nonlinear.sample_gram_equivalent, {},
        {"eta": POS(1.0, st.just(1.0)), "zeta": NONNEG(0.5, st.floats(0, 1), also=(2.0,)),
         "n0": SIZE(3), "n1": SIZE(3), "m": SIZE(4), "rng": SEED(0)}, sampler=True),
    Api(nonlinear.training_loss_mc, {"activation": ACT("tanh"), "gamma": POS(0.1, allow=([1.0],))},
        {"n0": SIZE(3), "n1": SIZE(3), "m": SIZE(4), "rng": SEED(0), "sigma_w": POS(1.0), "sigma_x": POS(1.0),
         "center": BOOL(False)}, sampler=True),
    Api(nonlinear.ridge_training_loss, {"activation": ACT("tanh"), "gamma": POS(0.1)},
        {"n0": SIZE(3), "n1": SIZE(3), "m": SIZE(4), "n2": SIZE(2), "rng": SEED(0), "sigma_w": POS(1.0),
         "sigma_x": POS(1.0), "center": BOOL(False)}, sampler=True),
    # ------------------------------------------------------------- models.percolation
    Api(percolation.percolated_wigner_atom, {"c": POS(1.5)}),
    Api(percolation.percolated_wishart_atom, {"n": SIZE(4, allow=(HUGE_INT,)), "m": SIZE(5, allow=(HUGE_INT,)), "p": PROB(0.5)}),
    Api(percolation.sample_sparse_wigner, {"n": SIZE(5, st.integers(2, 6)), "degree": POS(1.0, st.floats(0.5, 1))},
        {"weights": Kind("weights", st.sampled_from(["gaussian", "pm1"]), ("nosuch", None))("gaussian"),
         "rng": SEED(0)}, sampler=True),
    Api(percolation.sample_sparse_wishart, {"n": SIZE(4), "m": SIZE(5), "p": PROB(0.5)}, {"rng": SEED(0)},
        sampler=True),
    Api(percolation.zero_fraction, {"h": MATRIX(np.eye(3))}, {"rtol": POS(1e-9, st.floats(1e-12, 1e-3))}),
    Api(percolation.sparse_wigner_density, {"x": POINTS([0.5]), "c": POS(2.0, st.floats(1.5, 3))},
        {"pool": SIZE(50, st.just(50), also=(5,)), "sweeps": SIZE(3, st.just(3), also=(1,)),
         "eta": POS(0.05), "weights": Kind("weights", st.sampled_from(["gaussian", "pm1"]),
                                           ("nosuch", None))("gaussian"),
         "rng": SEED(0)}, sampler=True, examples=2),
    # ------------------------------------------------------------- models.products
    Api(products.chain_ratios, {"dims": DIMS((4, 2))}),
    Api(products.zero_atom, {"dims": DIMS((4, 2))}),
    Api(products.chain_polynomial, {"ratios": POS_VECTOR([0.5])}),
    Api(products.chain_moments, {"ratios": POS_VECTOR([0.5]), "kmax": SIZE(3)}),
    Api(products.chain_branch, {"ratios": POS_VECTOR([0.5])}),
    Api(products.chain_stieltjes, {"z": Z_UPPER([1j]), "ratios": POS_VECTOR([0.5], st.just([0.5]))},
        {"steps": SIZE(50, st.just(50)),
         "method": Kind("method", st.sampled_from(["newton", "eig"]), ("nosuch", None))("newton")}, examples=2),
    Api(products.chain_stieltjes_per_point, {"x": POINTS([0.5]), "ratios": POS_VECTOR([0.5])},
        {"eta": POS(1e-10, st.floats(1e-10, 1e-3))}),
    Api(products.chain_critical_points, {"ratios": POS_VECTOR([0.5])}),
    Api(products.chain_edges, {"ratios": POS_VECTOR([0.5], st.just([0.5]))}, examples=1),
    Api(products.fuss_catalan_k2_density, {"x": POINTS([0.5], st.lists(st.floats(0.01, 7), min_size=1))}),
    Api(products.wishart_chain_law, {"dims": DIMS((4, 2), st.just((4, 2)))}, examples=1),
    Api(products.ChainLaw, {"ratios": POS_VECTOR([0.5], st.just([0.5]))}, examples=1),
    Api(products.SandwichLaw, {"ratio": POS(0.5, st.just(0.5))}, {"variance": POS(1.0, st.just(1.0))},
        examples=1),
    Api(products.sandwich_law, {"ratio": POS(0.5, st.just(0.5))}, {"variance": POS(1.0, st.just(1.0))},
        examples=1),
    Api(products.sandwich_branch, {"ratio": POS(0.5), "variance": POS(1.0)}),
    Api(products.sandwich_stieltjes, {"z": Z_UPPER([1j]), "ratio": POS(0.5, st.just(0.5))},
        {"variance": POS(1.0, st.just(1.0)), "steps": SIZE(50, st.just(50)),
         "method": Kind("method", st.sampled_from(["newton", "eig"]), ("nosuch", None))("newton")}, examples=2),
    Api(products.percolated_wigner_atom, {"c": POS(1.5)}),
    Api(products.percolated_wishart_atom, {"n": SIZE(4, allow=(HUGE_INT,)), "m": SIZE(5, allow=(HUGE_INT,)), "p": PROB(0.5)}),
    Api(products.sample_wishart_chain, {"dims": DIMS((4, 2))}, {"rng": SEED(0), "entries": ENTRY("gaussian")},
        sampler=True),
    Api(products.sample_free_wishart_product, {"n": SIZE(3), "m1": SIZE(4), "m2": SIZE(2)}, {"rng": SEED(0)},
        sampler=True),
    Api(products.sample_goe, {"n": SIZE(4)}, {"variance": POS(1.0), "rng": SEED(0)}, sampler=True),
    Api(products.sample_sandwich, {"n": SIZE(3), "m": SIZE(4)}, {"variance": POS(1.0), "rng": SEED(0)},
        sampler=True),
    # ------------------------------------------------------------- models.spiked
    Api(spiked.rect_spike, {"theta": NONNEG(2.0, allow=([1.0],))}, {"ratio": RATIO(0.5), "variance": POS(1.0)}, nan_ok=True),
    Api(spiked.rect_debias, {"s": POINTS([3.0], st.lists(st.floats(0, 5), min_size=1))},
        {"ratio": RATIO(0.5), "variance": POS(1.0)}, nan_ok=True),
    Api(spiked.sample_rectangular, {"n": SIZE(5, st.integers(4, 6)), "m": SIZE(3, st.integers(1, 3)),
                                    "thetas": VECTOR([2.0], st.just([2.0]), also=([1.0] * 9,), allow=([],))},
        {"variance": POS(1.0), "entries": ENTRY("gaussian"), "rng": SEED(0)}, sampler=True),
    Api(spiked.bema, {"singular_values": POS_VECTOR(np.linspace(0.5, 2, 20), st.just(np.linspace(0.5, 2, 20)),
                                                 allow=([1.0, 0.0],))},
        {"ratio": RATIO(0.5), "alpha": PROB(0.2, st.floats(0.05, 0.45), also=(0.5, 0.7))}),
    Api(spiked.mp_threshold, {"variance": POS(1.0)},
        {"ratio": RATIO(0.5), "n": SIZE(20),
         "level": Kind("level", st.sampled_from(sorted(spiked.TW1_QUANTILES)), (0.5, NAN, "x", None))(0.95)}),
    Api(spiked.denoise, {"w": MATRIX(W, st.just(W))},
        {"variance": POS(None, st.sampled_from([None, 1.0]), allow=(None,)),
         "alpha": PROB(0.2, st.floats(0.05, 0.45), also=(0.5,)),
         "level": Kind("level", st.sampled_from(sorted(spiked.TW1_QUANTILES)), (0.5, NAN, "x", None))(0.95),
         "shrink": BOOL(False)}),
    Api(spiked.truncate, {"w": MATRIX(W, st.just(W)), "rank": COUNT(2)}),
    Api(spiked.spike_count, {"w": MATRIX(W, st.just(W)), "variance": POS(1.0)},
        {"level": Kind("level", st.sampled_from(sorted(spiked.TW1_QUANTILES)), (0.5, NAN, "x", None))(0.95)}),
    # ------------------------------------------------------------- models.spinglass
    Api(spinglass.e_inf, {"p": SIZE(3, st.integers(3, 6), also=(2,), allow=(HUGE_INT,))}),
    Api(spinglass.i1, {"u": POINTS([-2.0], st.lists(st.floats(-4, -1.9), min_size=1), also=([0.0],)),
                       "p": SIZE(3, st.integers(3, 6), also=(2,), allow=(HUGE_INT,))}),
    Api(spinglass.theta_k, {"u": POINTS([-2.0]), "k": COUNT(0), "p": SIZE(3, st.integers(3, 6), also=(2,), allow=(HUGE_INT,))}),
    Api(spinglass.theta_total, {"u": POINTS([-2.0]), "p": SIZE(3, st.integers(3, 6), also=(2,), allow=(HUGE_INT,))}),
    Api(spinglass.layer_threshold, {"k": COUNT(0), "p": SIZE(3, st.integers(3, 6), also=(2,), allow=(HUGE_INT,))}),
    Api(spinglass.log_potential, {"t": POINTS([3.0], st.lists(st.floats(2.5, 4), min_size=1)),
                                  "law": LAW(SC, SC_ONLY)}),
    Api(spinglass.log_potential_semicircle, {"t": POINTS([3.0], st.lists(st.floats(2, 4), min_size=1),
                                                         also=([1.0],))}),
    Api(spinglass.index_map, {"u": POINTS([-1.0]), "p": SIZE(3, st.integers(3, 6), also=(2,), allow=(HUGE_INT,)),
                              "cdf": Kind("callable", st.just(SC.cdf), ("cdf", None))(SC.cdf)}),
]

#: Public names deliberately left out of `API`, with the reason.
NOT_CALLED = {
    "rmtlib.laws.SpectralLaw": "abstract base; its methods are rows above (on Semicircle and PointMasses)",
    "rmtlib.spectral_law.SpectralLaw": "abstract base",
    "rmtlib.free.FreeAdditiveConvolution": "built by free.add, which validates",
    "rmtlib.free.FreeMultiplicativeConvolution": "built by free.multiply, which validates",
    "rmtlib.activations.Activation": "a frozen record; activations.get and register validate",
    "rmtlib.spectra.SplitKS": "the result record of ks_distance",
}
CORE = ["laws", "spectral_law", "pushforward", "free", "entries", "activations", "spectra"]
MODELS = ["deformed", "jacobian", "layers", "mean_field", "networks", "nonlinear", "pennington_worah",
          "percolation", "products", "spiked", "spinglass"]


def public_names():
    """(qualified name, object) of every public name of the core modules and of rmtlib.models (``__all__`` where defined)."""
    names = []
    for module in [f"rmtlib.{m}" for m in CORE] + [f"rmtlib.models.{m}" for m in MODELS]:
        mod = importlib.import_module(module)
        listed = getattr(mod, "__all__", None)
        for name in listed or dir(mod):
            obj = getattr(mod, name)
            if name.startswith("_") or inspect.ismodule(obj):
                continue
            if listed is None and getattr(obj, "__module__", module) != module:
                continue  # imported, not defined here
            names.append((f"{module}.{name}", obj))
    return names


# ----------------------------------------------------------------------------- contracts
def check_law(law):
    """The law contract: mass 1, cdf monotone in [0, 1], density >= 0, Im G <= 0, z G(z) -> 1."""
    atoms = law.atoms
    assert all(np.isfinite(a) and 0 <= m <= 1 + 1e-12 for a, m in atoms), atoms
    ends = [a for a, _ in atoms] + [e for iv in law.support for e in iv]
    assert ends and np.all(np.isfinite(ends)), (atoms, law.support)
    lo, hi = min(ends), max(ends)
    pad = 0.1 * (hi - lo) + 1.0
    x = np.linspace(lo - pad, hi + pad, 41)
    c = law.cdf(x)
    assert np.all(np.isfinite(c)) and np.all((c >= 0) & (c <= 1)), c
    assert np.all(np.diff(c) >= -1e-12), c
    assert c[0] <= 1e-6 and abs(c[-1] - 1.0) <= 1e-6, (c[0], c[-1])
    d = law.density(x)
    assert np.all(np.isfinite(d)) and np.all(d >= 0), d
    z = x[::5] + 1j * pad
    g = law.stieltjes(z)
    assert np.all(np.isfinite(g)) and np.all(g.imag <= 1e-14), g
    far = 1e4j * pad
    assert abs(far * complex(np.ravel(law.stieltjes(far))[0]) - 1.0) < 1e-3


def check_finite(result, nan_ok):
    """Every number in the result is finite (NaN allowed where documented); laws keep the contract."""
    if isinstance(result, SpectralLaw):
        check_law(result)
    elif isinstance(result, dict):
        for value in result.values():
            check_finite(value, nan_ok)
    elif isinstance(result, (tuple, list)) and not (result and all(callable(r) for r in result)):
        for value in result:
            check_finite(value, nan_ok)
    elif isinstance(result, spectra.SplitKS):
        check_finite([result.statistic, result.atoms], nan_ok=True)
    elif isinstance(result, (np.ndarray, float, int, complex, np.number)):
        arr = np.asarray(result)
        if arr.dtype.kind in "biufc":
            bad = ~np.isfinite(arr) & ~(np.isnan(arr) if nan_ok else False)
            assert not np.any(bad), f"non-finite result {arr!r:.200}"


def _arrays(values):
    return {k: v.copy() for k, v in values.items() if isinstance(v, np.ndarray)}


def outcome(api, values, param=None):
    """Classify one call: 'ok', 'clear' (error naming `param`), 'traceback', 'silent' or 'data lost'."""
    before = _arrays(values)
    try:
        result = api.call(values)
    except (ValueError, TypeError) as exc:
        if any(not np.array_equal(before[k], values[k], equal_nan=True) for k in before):
            return "data lost", exc
        if param is not None and re.search(rf"(?<![\w.]){re.escape(param)}(?!\w)", str(exc)):
            return "clear", exc
        return "traceback", exc
    except Exception as exc:  # noqa: BLE001 - the point is to catch what should not escape
        return "traceback", exc
    if param is not None:
        return "silent", result
    try:
        check_finite(result, api.nan_ok)
    except Exception as exc:  # noqa: BLE001 - a contract check that cannot even run is a violation
        return "silent", exc
    return "ok", result


def _run(api, examples, strategy, body):
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
    @given(strategy)
    def inner(drawn):
        body(drawn)
    inner()


def _invalid_pairs(api, params):
    return [(p, v) for p in params for v in api.params[p].invalid]


# ----------------------------------------------------------------------------- the properties
IDS = [a.id for a in API]


@pytest.mark.parametrize("api", API, ids=IDS)
def test_valid_input_gives_finite_output_that_keeps_the_contract(api):
    if api.xfail_valid:  # strict: the defect must still be there
        kind, detail = outcome(api, api.defaults())
        assert kind != "ok", f"fixed? remove xfail_valid: {api.xfail_valid}"
        pytest.xfail(f"{api.xfail_valid}: {detail!r:.200}")
    if not api.examples:
        pytest.skip("no valid values to draw")
    strategy = st.fixed_dictionaries({k: p.valid for k, p in api.params.items()})

    def body(values):
        kind, detail = outcome(api, values)
        assert kind == "ok", f"{api.id}({values!r:.300}) -> {kind}: {detail!r:.500}"
    _run(api, api.examples, strategy, body)


@pytest.mark.parametrize("api", API, ids=IDS)
def test_invalid_input_raises_an_error_that_names_the_parameter(api):
    pairs = _invalid_pairs(api, [p for p in api.params if p not in api.xfail])
    if not pairs:
        pytest.skip("no invalid values")

    def body(pair):
        param, value = pair
        values = {**api.defaults(), param: value}
        kind, detail = outcome(api, values, param)
        assert kind == "clear", f"{api.id}: {param}={value!r:.80} -> {kind}: {detail!r:.300}"
    _run(api, len(pairs) + 5, st.sampled_from(pairs), body)


KNOWN = [pytest.param(api, param, id=f"{api.id}-{param}",
                      marks=pytest.mark.xfail(strict=True, reason=reason))
         for api in API for param, reason in api.xfail.items()]


@pytest.mark.parametrize(("api", "param"), KNOWN)
def test_known_defects_outside_this_file_still_fail(api, param):
    failures = [(v, outcome(api, {**api.defaults(), param: v}, param)[0]) for v in api.params[param].invalid]
    assert all(kind == "clear" for _, kind in failures), failures


@pytest.mark.parametrize("api", [a for a in API if a.sampler], ids=[a.id for a in API if a.sampler])
def test_same_seed_gives_same_numbers(api):
    values = api.defaults()
    first = api.call({**values, "rng": 11})
    again = api.call({**values, "rng": 11})
    generator = api.call({**values, "rng": np.random.default_rng(11)})
    np.testing.assert_equal(first, again)
    np.testing.assert_equal(first, generator)


def test_the_table_covers_the_public_api():
    covered = {id(a.fn.func if isinstance(a.fn, functools.partial) else a.fn) for a in API}
    covered |= {id(networks.sgd_epoch)}
    missing = [n for n, obj in public_names() if callable(obj) and id(obj) not in covered and n not in NOT_CALLED]
    assert not missing, f"public names without a row in API: {missing}"
