"""RMT pruning of a digits MLP, tested fairly: an epoch-matched dense control and a frozen noise level.

One run (:func:`pruning_run`, cached) trains a ReLU MLP for ``epochs`` epochs and then branches, from the
same parameters and the same minibatch order, into (i) a dense control trained ``prune_epochs +
finetune_epochs`` more epochs and (ii) gradual RMT pruning over the same epochs: each hidden layer keeps its
singular values above the MP edge plus a Tracy-Widom margin, with ``sigma^2`` fitted by BEMA once, on the
dense network at the branch point, and frozen (never refitted on truncated matrices), plus a bulk fraction
that falls linearly from 1 to 0 over ``prune_epochs``; then ``finetune_epochs`` at the final ranks. A one-shot
truncation at the branch point is recorded too. Optional L1/L2 penalties on the weights follow the
configuration of the authors' group's public code (an implementation choice, not a statement of the paper).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from rmtlib import laws, spectra
from rmtlib._numerics import validate as _validate
from rmtlib.experiments.cache import simulation
from rmtlib.experiments.digits import load_digits_split
from rmtlib.experiments.mapper import map_tasks
from rmtlib.experiments.pruning import parameter_count
from rmtlib.models import rectangular as rect
from rmtlib.models.networks import MLP
from rmtlib.models.spiked import bema, mp_threshold, spike_count, truncate

__all__ = ["ARMS", "LARGE_TEXT", "layer_fits", "penalised_epoch", "pitman_morgan", "pruning_run", "pruning_study"]

LARGE_TEXT = ("-p mlp_widths \"[64, 1000, 1000, 10]\" -p mlp_epochs 300 -p mlp_prune_epochs 200 "
              "-p mlp_finetune_epochs 50")
"""Command-line overrides for a network out of the lazy regime, beyond the paper profile's budget (not run here)."""

ARMS = {"dense": "dense at the branch point", "control": "dense, epoch-matched control",
        "gradual": "gradual RMT pruning (σ² frozen)", "one_shot": "one-shot truncation at the branch point"}


def penalised_epoch(net, theta, x, y, *, lr, batch, rng, l1=0.0, l2=0.0):
    """One epoch of minibatch SGD on the cross-entropy plus ``l1 |W|_1 + l2 |W|_2^2`` (weights only).

    Parameters
    ----------
    net : rmtlib.models.networks.MLP
    theta : ndarray
        Parameters, updated in place.
    x, y : ndarray
        Training inputs and labels.
    lr, batch : float, int
        Step size and minibatch size.
    rng : numpy.random.Generator
        Draws the sample order.
    l1, l2 : float
        Penalty weights (>= 0).
    """
    l1, l2 = _validate.real("l1", l1, low=0.0), _validate.real("l2", l2, low=0.0)
    order = rng.permutation(x.shape[0])
    weights = [w for w, _ in net.layers(theta)]  # views: the penalties act on weights, not biases
    for start in range(0, order.size, batch):
        idx = order[start:start + batch]
        _, g = net.loss_and_grad(theta, x[idx], y[idx])
        if l1 or l2:  # the penalty's gradient at the current weights, applied in place
            steps = [lr * (l1 * np.sign(w) + 2.0 * l2 * w) for w in weights]
            for w, d in zip(weights, steps):
                w -= d
        theta -= lr * g


def _oriented(w):
    """The layer as ``N x M`` with ``N >= M`` (eq. (1.1) orientation)."""
    return w if w.shape[0] >= w.shape[1] else w.T


@simulation
def pruning_run(seed, widths, epochs, prune_epochs, finetune_epochs, lr=0.05, batch=64, l1=0.0, l2=0.0,
                alpha=0.2, level=0.95):
    """One seed of the fair pruning experiment (see the module docstring).

    Returns
    -------
    dict
        ``accuracy`` (per arm), ``params`` (per arm), ``variances`` (frozen BEMA fits), ``spikes`` (singular
        values above the threshold at the branch point), ``ranks`` (final, gradual), ``full_ranks``,
        ``movement`` (``|W - W_0| / |W_0|`` per hidden layer at the branch point), ``layers`` (per hidden
        layer, oriented ``N x M``: ``eigenvalues`` of ``W^T W`` and ``delta`` of ``(W - W_0)^T (W - W_0)``,
        ``fan_in``).
    """
    x_tr, x_te, y_tr, y_te = load_digits_split()
    rng = np.random.default_rng(_validate.seed_int(seed))
    net = MLP([int(w) for w in widths], "relu")
    theta0 = net.init(rng=rng)
    theta = theta0.copy()
    step = dict(lr=lr, batch=batch, l1=l1, l2=l2)
    for _ in range(epochs):
        penalised_epoch(net, theta, x_tr, y_tr, rng=rng, **step)
    hidden = lambda th: [w for w, _ in net.layers(th)[:-1]]
    weights, initial = hidden(theta), hidden(theta0)
    var = [bema(np.linalg.svd(_oriented(w), compute_uv=False), ratio=min(w.shape) / max(w.shape), alpha=alpha)
           for w in weights]
    spikes = [spike_count(w, v, level=level) for w, v in zip(weights, var)]
    full = [min(w.shape) for w in weights]
    out = {"accuracy": {"dense": net.accuracy(theta, x_te, y_te)}, "variances": var, "spikes": spikes,
           "full_ranks": full, "params": {"dense": parameter_count(net.layers(theta), [None] * len(net.layers(theta)))},
           "movement": [float(np.linalg.norm(w - w0) / np.linalg.norm(w0)) for w, w0 in zip(weights, initial)],
           "layers": [{"eigenvalues": np.linalg.eigvalsh(_oriented(w).T @ _oriented(w)),
                       "delta": np.linalg.eigvalsh(_oriented(w - w0).T @ _oriented(w - w0)), "fan_in": w.shape[1]}
                      for w, w0 in zip(weights, initial)]}
    shot = theta.copy()
    for w, r in zip(hidden(shot), spikes):
        w[...] = truncate(w, r)
    out["accuracy"]["one_shot"] = net.accuracy(shot, x_te, y_te)
    out["params"]["one_shot"] = parameter_count(net.layers(shot), spikes + [None])
    state = rng.bit_generator.state
    control, pruned = theta.copy(), theta
    for arm, th in (("control", control), ("gradual", pruned)):
        gen = np.random.default_rng()
        gen.bit_generator.state = state  # both arms see the same minibatch order
        ranks = list(full)
        for epoch in range(prune_epochs + finetune_epochs):
            penalised_epoch(net, th, x_tr, y_tr, rng=gen, **step)
            if arm == "gradual":
                frac = max(0.0, 1.0 - (epoch + 1) / prune_epochs) if prune_epochs else 0.0
                for j, w in enumerate(hidden(th)):
                    u, sv, vt = np.linalg.svd(w, full_matrices=False)
                    if epoch < prune_epochs:  # sigma^2 frozen at the branch point
                        k = int(np.sum(sv > mp_threshold(var[j], ratio=min(w.shape) / max(w.shape),
                                                         n=max(w.shape), level=level)))
                        ranks[j] = k + round(frac * (full[j] - k))
                    w[...] = (u[:, :ranks[j]] * sv[:ranks[j]]) @ vt[:ranks[j]]
        out["accuracy"][arm] = net.accuracy(th, x_te, y_te)
        out["params"][arm] = parameter_count(net.layers(th), (ranks if arm == "gradual" else [None] * len(full))
                                             + [None])
        if arm == "gradual":
            out["ranks"] = list(ranks)
    return out


def _run_task(task):
    seed, kwargs = task
    return pruning_run(seed, **kwargs)


def pitman_morgan(x, y):
    """Pitman-Morgan test of equal variances of paired samples: ``t`` of ``corr(x - y, x + y)``.

    Returns
    -------
    t, dof : float, int
        ``r sqrt(n - 2) / sqrt(1 - r^2)``, Student-t with ``n - 2`` degrees of freedom under equal variances.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    d, s = x - y, x + y
    if np.std(d) == 0 or np.std(s) == 0:
        return 0.0, x.size - 2
    r = float(np.corrcoef(d, s)[0, 1])
    return r * math.sqrt(x.size - 2) / math.sqrt(max(1e-300, 1.0 - r * r)), x.size - 2


def layer_fits(layer, variance):
    """Fits of one trained layer's spectrum: MP with the BEMA ``sigma^2``, and the information-plus-noise law
    with ``R`` the initialisation (``sigma^2 = N / fan_in``) and ``H`` the spectrum of ``(W - W_0)^T (W - W_0)``.

    Returns
    -------
    dict
        ``mp``, ``ipn`` (laws), ``mp_variance``, ``init_variance``, ``ks_mp``, ``ks_ipn`` (split KS distances).
    """
    lam, big = layer["eigenvalues"], layer["n_rows"]
    m, init = lam.size, big / layer["fan_in"]
    mp = laws.MarchenkoPastur(m / big, variance=variance)
    ipn = rect.rect_fullrank_law(laws.Empirical(np.clip(layer["delta"], 0.0, None)), ratio=m / big, variance=init)
    return {"mp": mp, "ipn": ipn, "mp_variance": variance, "init_variance": init,
            "ks_mp": spectra.ks_distance(lam, mp).statistic, "ks_ipn": spectra.ks_distance(lam, ipn).statistic}


def pruning_study(seeds, *, widths, epochs, prune_epochs, finetune_epochs, lr=0.05, l1=0.0, l2=0.0):
    """:func:`pruning_run` over seeds: accuracies per arm, paired differences, spread test and layer fits.

    Returns
    -------
    dict
        ``arms`` (labels), ``epochs`` (per arm), ``accuracies`` (arrays per arm), ``difference`` (gradual minus
        control, per seed), ``interval95`` (paired 95% interval), ``spread`` (sd per arm), ``pitman_morgan`` (t, dof),
        ``param_fractions``, ``movement``, ``spikes``, ``variances``, ``ranks`` (per seed), ``layers``
        (fits of the first seed's layers, :func:`layer_fits`).
    """
    kwargs = dict(widths=[int(w) for w in widths], epochs=int(epochs), prune_epochs=int(prune_epochs),
                  finetune_epochs=int(finetune_epochs), lr=float(lr), l1=float(l1), l2=float(l2))
    runs = map_tasks(_run_task, [(int(s), kwargs) for s in seeds], label="pruning")
    acc = {arm: np.array([r["accuracy"][arm] for r in runs]) for arm in ARMS}
    diff = acc["gradual"] - acc["control"]
    se = diff.std(ddof=1) / math.sqrt(diff.size)
    t95 = float(stats.t.ppf(0.975, diff.size - 1))
    dense_params = np.mean([r["params"]["dense"] for r in runs])
    layers = []
    for j, (layer, var) in enumerate(zip(runs[0]["layers"], runs[0]["variances"])):
        info = {**layer, "n_rows": max(int(widths[j]), int(widths[j + 1]))}  # layer j is n_{j+1} x n_j
        layers.append({**layer_fits(info, var), "eigenvalues": layer["eigenvalues"], "name": f"hidden layer {j + 1}"})
    return {"arms": ARMS, "accuracies": acc, "difference": diff,
            "interval95": (float(diff.mean() - t95 * se), float(diff.mean() + t95 * se)),
            "spread": {arm: float(a.std(ddof=1)) for arm, a in acc.items()},
            "pitman_morgan": pitman_morgan(acc["gradual"], acc["control"]),
            "epochs": {"dense": epochs, "one_shot": epochs, "control": epochs + prune_epochs + finetune_epochs,
                       "gradual": epochs + prune_epochs + finetune_epochs},
            "param_fractions": {arm: float(np.mean([r["params"][arm] for r in runs]) / dense_params) for arm in ARMS},
            "movement": np.array([r["movement"] for r in runs]), "spikes": np.array([r["spikes"] for r in runs]),
            "variances": np.array([r["variances"] for r in runs]), "ranks": np.array([r["ranks"] for r in runs]),
            "full_ranks": runs[0]["full_ranks"], "layers": layers}
