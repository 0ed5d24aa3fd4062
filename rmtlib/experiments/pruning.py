"""The deformed chapter's rectangular experiments: spiked-model sweeps and RMT pruning of a trained
digits MLP (the model is :mod:`rmtlib.models.spiked`, the network :mod:`rmtlib.models.networks`).
"""

from __future__ import annotations

import math

import numpy as np

from rmtlib._numerics import validate as _validate
from rmtlib.experiments import theory
from rmtlib.experiments.cache import simulation
from rmtlib.experiments.digits import load_digits_split
from rmtlib.experiments.mapper import map_tasks
from rmtlib.models.networks import MLP, sgd_epoch
from rmtlib.models.spiked import bema, denoise, rect_debias, rect_spike, sample_rectangular, spike_count, truncate

__all__ = ["denoise_experiment", "network_pruning", "parameter_count", "pruning_experiment", "rect_experiment",
           "rect_size_sweep", "rect_sweep"]


@simulation
def rect_sweep(n, m, thetas, *, variance=1.0, draws=3, seed):
    """Top singular values of ``W`` and the squared overlaps with the planted singular vectors.

    Parameters
    ----------
    n, m : int
        Shape of ``W`` (``m <= n``).
    thetas : array_like
        Planted singular values, decreasing, all in one matrix.
    variance : float
        ``sigma^2``.
    draws : int
        Independent matrices (seeds spawned from ``seed``).
    seed : int
        Master seed.

    Returns
    -------
    dict
        ``thetas`` (decreasing); ``s``, ``ov_u``, ``ov_v`` (draws x k, the i-th largest singular value
        matched to the i-th largest theta).
    """
    th = np.sort(np.atleast_1d(np.asarray(thetas, float)))[::-1]
    tasks = [(n, m, th, variance, ss) for ss in np.random.SeedSequence(seed).spawn(draws)]
    rows = map_tasks(_rect_draw, tasks, label="deformed rectangular spikes")
    s, ou, ov = (np.array(x) for x in zip(*rows))
    return {"thetas": th, "s": s, "ov_u": ou, "ov_v": ov}


def _rect_draw(task):
    """Top singular values and squared overlaps of one ``W`` of :func:`rect_sweep`: ``(n, m, thetas, variance, seed)``."""
    n, m, th, variance, seed = task
    d = sample_rectangular(n, m, th, variance=variance, rng=np.random.default_rng(seed))
    u, s, vt = np.linalg.svd(d["W"], full_matrices=False)
    k = th.size
    return s[:k], np.sum(u[:, :k] * d["U"], axis=0) ** 2, np.sum(vt[:k].T * d["V"], axis=0) ** 2


def _layer_variance(w, alpha):
    n, m = max(w.shape), min(w.shape)
    return bema(np.linalg.svd(w, compute_uv=False), ratio=m / n, alpha=alpha)


def parameter_count(layers, ranks):
    """Weights and biases, a pruned layer of rank ``r`` stored as two factors when that is smaller.

    Parameters
    ----------
    layers : list of (W, b)
        The layers of an :class:`~rmtlib.models.networks.MLP` (its ``layers(theta)``).
    ranks : list of int or None
        Rank of each layer (None: dense).

    Returns
    -------
    int
    """
    total = 0
    for (w, b), r in zip(layers, ranks):
        full = w.size
        total += b.size + (full if r is None else min(full, r * sum(w.shape)))
    return int(total)


@simulation
def pruning_experiment(*, seed, widths=(64, 400, 400, 10), epochs=60, lr=0.05, batch=64,
                       prune_epochs=40, finetune_epochs=20, alpha=0.2, level=0.95, refit=True):
    """Train a ReLU MLP on digits, then prune its hidden layers one-shot and gradually.

    Parameters
    ----------
    seed : int
        Seed of the initialisation and the minibatch order (the split is fixed).
    widths : tuple of int
        Layer widths.
    epochs, lr, batch : int, float, int
        Training of the dense network (SGD).
    prune_epochs, finetune_epochs : int
        Gradual schedule: the kept bulk fraction falls linearly from 1 to 0 over ``prune_epochs``
        epochs (one SGD epoch, then projection, each), then ``finetune_epochs`` at the final ranks.
    alpha, level : float
        BEMA trimming and Tracy-Widom level of the threshold.
    refit : bool
        Re-fit the noise level of each layer at every epoch of the pruning phase (frozen during
        fine-tuning, when no bulk is left); False keeps the fit of the dense network throughout.

    Returns
    -------
    dict
        ``dense``, ``one_shot``, ``gradual`` accuracies on the test set; matching ``*_params``
        counts; ``one_shot_ranks``, ``gradual_ranks``, ``full_ranks``; ``variances`` (BEMA fits).

    Notes
    -----
    Once the bulk is truncated away an MP fit is degenerate (every remaining singular value looks
    like a spike), so the last fit of the pruning phase is frozen for fine-tuning. The output layer
    is not pruned.
    """
    x_tr, x_te, y_tr, y_te = load_digits_split()
    rng = np.random.default_rng(seed)
    net = MLP(widths, "relu")
    theta = net.init(rng=rng)
    for _ in range(epochs):
        sgd_epoch(net, theta, x_tr, y_tr, lr=lr, batch=batch, rng=rng)
    weights = [w for w, _ in net.layers(theta)[:-1]]      # hidden layers: views into theta
    full = [min(w.shape) for w in weights]
    var = [_layer_variance(w, alpha) for w in weights]
    out = {"dense": net.accuracy(theta, x_te, y_te), "full_ranks": full, "variances": var,
           "dense_params": parameter_count(net.layers(theta), [None] * len(widths[1:]))}
    spikes = [spike_count(w, v, level=level) for w, v in zip(weights, var)]
    shot = theta.copy()
    for (w, _), r in zip(net.layers(shot), spikes):
        w[...] = truncate(w, r)
    out.update(one_shot=net.accuracy(shot, x_te, y_te), one_shot_ranks=spikes,
               one_shot_params=parameter_count(net.layers(shot), spikes + [None]))
    ranks = list(full)
    for epoch in range(prune_epochs + finetune_epochs):
        sgd_epoch(net, theta, x_tr, y_tr, lr=lr, batch=batch, rng=rng)
        frac = max(0.0, 1.0 - (epoch + 1) / prune_epochs)
        for j, w in enumerate(weights):
            if epoch < prune_epochs:
                if refit:
                    var[j] = _layer_variance(w, alpha)
                k = spike_count(w, var[j], level=level)
                ranks[j] = k + round(frac * (full[j] - k))
            w[...] = truncate(w, ranks[j])
    out.update(gradual=net.accuracy(theta, x_te, y_te), gradual_ranks=list(ranks),
               gradual_params=parameter_count(net.layers(theta), ranks + [None]))
    return out


# ----------------------------------------------------------------------------- the rectangular model
def rect_experiment(n, m, thetas, *, draws, seed, min_overlap=0.5):
    """:func:`rect_sweep` (``sigma^2 = 1``) beside the rank-one theory, with per-draw pooled statistics.

    Parameters
    ----------
    n, m, thetas, draws
        Shape of ``W`` (``m <= n``), planted singular values, independent matrices (at least 2).
    seed : int or SeedSequence
        Master seed (a SeedSequence gives the first word of its state).
    min_overlap : float
        Spikes with predicted left overlap ``>= min_overlap`` are pooled.

    Returns
    -------
    dict
        The sweep with ``ratio`` (``m/n``), the limits ``theory_s`` (through ``theory.position``),
        ``theory_u``, ``theory_v`` (``theta`` and ``sigma^2`` through ``theory.parameter``), ``edge``;
        ``pooled`` (per draw: mean singular value, mean left and mean right overlap over the pooled
        spikes), ``pooled_theory`` (the same means of the theory), ``pooled_mask``; ``inverse_error``
        (``|rect_debias(s(2)) - 2|`` at ``c = 1/2``).
    """
    rect = rect_sweep(n, m, [float(t) for t in np.atleast_1d(thetas)], draws=draws,
                      seed=_validate.seed_int(seed))
    s2 = theory.parameter("variance", 1.0)
    ts, tu, tv = rect_spike(theory.parameter("theta", rect["thetas"]), ratio=m / n, variance=s2)
    ts = theory.position(ts)
    ok = np.nan_to_num(tu) >= min_overlap
    pooled = np.column_stack([rect[k][:, ok].mean(1) for k in ("s", "ov_u", "ov_v")])
    s_two = rect_spike(2.0, ratio=0.5)[0]
    return {**rect, "ratio": m / n, "theory_s": ts, "theory_u": tu, "theory_v": tv,
            "edge": theory.position(math.sqrt(s2) * (1 + math.sqrt(m / n))), "pooled": pooled,
            "pooled_mask": ok, "pooled_theory": np.array([ts[ok].mean(), tu[ok].mean(), tv[ok].mean()]),
            "inverse_error": float(abs(rect_debias(s_two, ratio=0.5)[0] - 2.0))}


def rect_size_sweep(n, m, thetas, *, draws, seed, min_overlap=0.5):
    """The pooled spike statistics of :func:`rect_experiment` at ``N = n/4, n/2, n`` (``M/N`` fixed).

    Parameters
    ----------
    n, m, thetas, min_overlap
        As in :func:`rect_experiment` (``n`` the largest size).
    draws : int
        Matrices at the largest size; ``2 draws`` at ``n/2`` and ``4 draws`` at ``n/4``.
    seed : int or SeedSequence
        Master seed (its first word; the sizes take the children of ``SeedSequence(seed word + 1)``,
        apart from the draws of :func:`rect_experiment`).

    Returns
    -------
    dict
        ``sizes``; ``s``, ``ov_u``, ``ov_v``: per size, the per-draw means over the pooled spikes (those
        with predicted left overlap ``>= min_overlap``) of the singular value and the squared overlaps;
        ``theory``: the same means of the limits (Benaych-Georges and Nadakuditi 2012), through
        :mod:`rmtlib.experiments.theory`.

    Notes
    -----
    The squared overlaps at finite ``N`` sit below their limits by ``O(1/N)`` (measured at ``N = 1000``,
    ``M = 500``: about 2.3 standard errors of 12 draws), which a seed mean at one size would count as
    a failure; the checks extrapolate the three sizes in ``1/N``.
    """
    n, m = _validate.integer("n", n, low=8), _validate.integer("m", m, low=2)
    draws = _validate.integer("draws", draws, low=2)
    ratio, s2 = m / n, theory.parameter("variance", 1.0)
    ts, tu, tv = rect_spike(theory.parameter("theta", np.sort(np.atleast_1d(np.asarray(thetas, float)))[::-1]),
                            ratio=ratio, variance=s2)
    ok = np.nan_to_num(tu) >= min_overlap
    sizes = [max(2, round(n / 4)), max(2, round(n / 2)), n]
    children = np.random.SeedSequence(_validate.seed_int(seed) + 1).spawn(len(sizes))
    out = {"sizes": sizes, "s": [], "ov_u": [], "ov_v": [],
           "theory": np.array([theory.position(ts)[ok].mean(), tu[ok].mean(), tv[ok].mean()])}
    for size, count, child in zip(sizes, (4 * draws, 2 * draws, draws), children):
        rect = rect_sweep(size, max(1, round(ratio * size)), thetas, draws=count, seed=_validate.seed_int(child))
        for key in ("s", "ov_u", "ov_v"):
            out[key].append(rect[key][:, ok].mean(1))
    return out


def denoise_experiment(n, m, thetas, *, seed):
    """Recover ``S`` from one ``W = R/sqrt(n) + S`` (``sigma^2 = 1``) by truncation and by shrinkage.

    Parameters
    ----------
    n, m, thetas : int, int, array_like
        Shape of ``W``; singular values of ``S`` (Haar singular vectors).
    seed : int or SeedSequence
        Seed of :func:`rmtlib.models.spiked.sample_rectangular`.

    Returns
    -------
    dict
        ``errors`` (Frobenius errors of ``W``, truncation and shrinkage), ``norm_S``, ``variance``
        (BEMA), ``rank`` (kept), ``expected_rank`` (thetas above ``c^{1/4}``), ``sure_rank`` (spikes
        predicted 0.05 above the threshold), ``position_error`` (max error of the kept singular values).
    """
    thetas = np.asarray(thetas, float)
    demo = sample_rectangular(n, m, thetas, rng=np.random.default_rng(seed))
    trunc, shrunk = denoise(demo["W"]), denoise(demo["W"], shrink=True)
    predicted = rect_spike(thetas, ratio=m / n)[0]
    norm = np.linalg.norm
    return {"errors": {"none": float(norm(demo["W"] - demo["S"])), "truncation": float(norm(trunc["estimate"] - demo["S"])),
                       "shrinkage": float(norm(shrunk["estimate"] - demo["S"]))},
            "norm_S": float(norm(demo["S"])), "variance": trunc["variance"], "rank": trunc["rank"],
            "expected_rank": int(np.sum(thetas > (m / n) ** 0.25)),
            "sure_rank": int(np.sum(predicted > trunc["threshold"] + 0.05)),
            "position_error": float(np.max(np.abs(trunc["singular_values"] - predicted[:trunc["rank"]])))}


def network_pruning(seeds, *, widths, epochs, prune_epochs, finetune_epochs):
    """:func:`pruning_experiment` over seeds, summarised.

    Parameters
    ----------
    seeds : sequence of int
        Seeds of the initialisation and batch order (ints: each run is a cached simulation).
    widths, epochs, prune_epochs, finetune_epochs
        As in :func:`pruning_experiment`.

    Returns
    -------
    dict
        ``runs``; for ``dense``, ``one_shot`` and ``gradual``: ``accuracy`` and ``accuracy_sd`` (mean and
        sd over seeds of the test accuracy) and ``params`` (mean parameter count), keyed by variant;
        ``param_fraction`` (gradual over dense) and ``gain`` (gradual minus dense accuracy).
    """
    runs = [pruning_experiment(seed=int(s), widths=[int(w) for w in widths], epochs=epochs, prune_epochs=prune_epochs,
                               finetune_epochs=finetune_epochs) for s in seeds]
    col = {k: np.array([r[k] for r in runs], float) for k in
           ("dense", "one_shot", "gradual", "dense_params", "one_shot_params", "gradual_params")}
    variants = ("dense", "one_shot", "gradual")
    return {"runs": runs, "accuracy": {k: float(col[k].mean()) for k in variants},
            "accuracy_sd": {k: float(col[k].std(ddof=1)) for k in variants},
            "params": {k: float(col[k + "_params"].mean()) for k in variants},
            "param_fraction": float(col["gradual_params"].mean() / col["dense_params"].mean()),
            "gain": float(col["gradual"].mean() - col["dense"].mean())}
