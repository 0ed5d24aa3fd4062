"""The deformed chapter's rectangular experiments: spiked-model sweeps and RMT pruning of a trained
digits MLP (the model is :mod:`rmtlib.models.spiked`, the network :mod:`rmtlib.models.networks`).
"""

from __future__ import annotations

import math

import numpy as np

from rmtlib.experiments.digits import load_digits_split
from rmtlib.models.networks import init_mlp, mlp_accuracy, sgd_epoch
from rmtlib.models.spiked import bema, rect_spike, sample_rectangular, spike_count, truncate

__all__ = ["parameter_count", "pruning_experiment", "rect_sweep"]


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
        ``s``, ``ov_u``, ``ov_v`` (draws x k, the i-th largest singular value matched to the
        i-th largest theta) and the limits ``theory_s``, ``theory_u``, ``theory_v``; ``edge``
        (the bulk edge ``sigma (1 + sqrt(c))``).
    """
    th = np.sort(np.atleast_1d(np.asarray(thetas, float)))[::-1]
    rows = []
    for ss in np.random.SeedSequence(seed).spawn(draws):
        d = sample_rectangular(n, m, th, variance=variance, rng=np.random.default_rng(ss))
        u, s, vt = np.linalg.svd(d["W"], full_matrices=False)
        k = th.size
        rows.append((s[:k], np.sum(u[:, :k] * d["U"], axis=0) ** 2, np.sum(vt[:k].T * d["V"], axis=0) ** 2))
    c = m / n
    ts, tu, tv = rect_spike(th, ratio=c, variance=variance)
    s, ou, ov = (np.array(x) for x in zip(*rows))
    return {"thetas": th, "s": s, "ov_u": ou, "ov_v": ov, "theory_s": ts, "theory_u": tu, "theory_v": tv,
            "edge": math.sqrt(variance) * (1 + math.sqrt(c))}


def _layer_variance(w, alpha):
    n, m = max(w.shape), min(w.shape)
    return bema(np.linalg.svd(w, compute_uv=False), ratio=m / n, alpha=alpha)


def parameter_count(params, ranks):
    """Weights and biases, a pruned layer of rank ``r`` stored as two factors when that is smaller."""
    total = 0
    for (w, b), r in zip(params, ranks):
        full = w.size
        total += b.size + (full if r is None else min(full, r * sum(w.shape)))
    return int(total)


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
    params = init_mlp(widths, rng=rng)
    for _ in range(epochs):
        sgd_epoch(params, x_tr, y_tr, lr=lr, batch=batch, rng=rng)
    hidden = list(range(len(params) - 1))
    full = [min(params[i][0].shape) for i in hidden]
    var = [_layer_variance(params[i][0], alpha) for i in hidden]
    out = {"dense": mlp_accuracy(params, x_te, y_te), "full_ranks": full, "variances": var,
           "dense_params": parameter_count(params, [None] * len(params))}
    spikes = [spike_count(params[i][0], v, level=level) for i, v in zip(hidden, var)]
    shot = [(truncate(w, r), b) if i in hidden else (w, b)
            for i, ((w, b), r) in enumerate(zip(params, spikes + [None]))]
    out.update(one_shot=mlp_accuracy(shot, x_te, y_te), one_shot_ranks=spikes,
               one_shot_params=parameter_count(shot, spikes + [None]))
    ranks = list(full)
    for epoch in range(prune_epochs + finetune_epochs):
        sgd_epoch(params, x_tr, y_tr, lr=lr, batch=batch, rng=rng)
        frac = max(0.0, 1.0 - (epoch + 1) / prune_epochs)
        for j, i in enumerate(hidden):
            w = params[i][0]
            if epoch < prune_epochs:
                if refit:
                    var[j] = _layer_variance(w, alpha)
                k = spike_count(w, var[j], level=level)
                ranks[j] = k + round(frac * (full[j] - k))
            w[...] = truncate(w, ranks[j])
    out.update(gradual=mlp_accuracy(params, x_te, y_te), gradual_ranks=list(ranks),
               gradual_params=parameter_count(params, ranks + [None]))
    return out
