"""Rectangular spiked model ``W = R/sqrt(N) + S`` (eq. (1.1) of Afanasiev, Berlyand & Kiyashko) and
RMT-based pruning.

``W`` is ``N x M`` with ``M <= N`` and ``c = M/N``; ``R`` has i.i.d. entries of zero mean and variance
``sigma^2`` (``variance=``). The squared singular values of ``R/sqrt(N)`` follow
``MarchenkoPastur(ratio=c, variance=sigma^2)`` (law of ``W^T W``), with top bulk singular value
``sigma (1 + sqrt(c))``.

Theory (standard, derived for the chapter, not the paper's statements):

* rank-one spikes (Benaych-Georges & Nadakuditi 2012): with ``t = theta/sigma`` an outlier singular
  value exists iff ``t > c^{1/4}``, at ``sigma sqrt((1+t^2)(c+t^2))/t``; squared overlaps
  ``1 - (c+t^2)/(t^2(t^2+1))`` (left, N side) and ``1 - c(1+t^2)/(t^2(t^2+c))`` (right, M side);
* noise level from the bulk by a BEMA-style quantile fit (Ke, Ma & Lin), threshold at the MP edge
  plus a Tracy-Widom margin;
* optimal shrinkage of each kept singular value to ``theta_hat sqrt(ov_u ov_v)``
  (Gavish & Donoho 2017 for the Frobenius loss in this model).
"""

from __future__ import annotations

import functools
import itertools
import math
from numbers import Integral, Real

import numpy as np

__all__ = [
    "TW1_QUANTILES",
    "bema",
    "denoise",
    "init_mlp",
    "load_digits_split",
    "mlp_accuracy",
    "mlp_loss_grads",
    "mp_threshold",
    "parameter_count",
    "pruning_experiment",
    "rect_debias",
    "rect_spike",
    "rect_sweep",
    "sample_rectangular",
    "sgd_epoch",
    "spike_count",
    "truncate",
]

TW1_QUANTILES = {0.90: 0.4501, 0.95: 0.9793, 0.99: 2.0234}
"""Quantiles of the Tracy-Widom (beta=1) law (standard tabulated values)."""


def _check_positive(name, value):
    if not isinstance(value, Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")
    return float(value)


def _check_ratio(ratio):
    ratio = _check_positive("ratio", ratio)
    if ratio > 1:
        raise ValueError(f"ratio = M/N must be in (0, 1], got {ratio!r}")
    return ratio


def rect_spike(theta, *, ratio, variance=1.0):
    """Limiting outlier singular value and squared overlaps of a rank-one spike ``theta u v^T``.

    Parameters
    ----------
    theta : array_like
        Spike singular values (>= 0).
    ratio : float
        ``c = M/N`` in (0, 1].
    variance : float
        ``sigma^2``.

    Returns
    -------
    s, ov_u, ov_v : ndarray
        Singular value, ``|<u_1,u>|^2`` (N side) and ``|<v_1,v>|^2`` (M side); NaN below threshold.

    Notes
    -----
    Benaych-Georges and Nadakuditi (2012), rewritten for the ``1/sqrt(N)`` scaling of eq. (1.1).
    """
    c = _check_ratio(ratio)
    sigma = math.sqrt(_check_positive("variance", variance))
    t = np.atleast_1d(np.asarray(theta, float)) / sigma
    if np.any(t < 0):
        raise ValueError("theta must be >= 0")
    ok = t > c**0.25
    t = np.where(ok, t, np.nan)
    t2 = t**2
    s = sigma * np.sqrt((1 + t2) * (c + t2)) / t
    ov_u = 1 - (c + t2) / (t2 * (t2 + 1))
    ov_v = 1 - c * (1 + t2) / (t2 * (t2 + c))
    return s, ov_u, ov_v


def rect_debias(s, *, ratio, variance=1.0):
    """Invert :func:`rect_spike`: the spike ``theta`` that produces the outlier singular value ``s``.

    Parameters
    ----------
    s : array_like
        Observed singular values.
    ratio : float
        ``c = M/N``.
    variance : float
        ``sigma^2``.

    Returns
    -------
    ndarray
        ``theta = sigma t`` with ``t^2 = (r^2-1-c + sqrt((r^2-1-c)^2 - 4c))/2``, ``r = s/sigma``;
        NaN where ``s`` is not above the bulk edge ``sigma (1 + sqrt(c))``.
    """
    c = _check_ratio(ratio)
    sigma = math.sqrt(_check_positive("variance", variance))
    r = np.atleast_1d(np.asarray(s, float)) / sigma
    b = r**2 - 1 - c
    disc = b**2 - 4 * c
    ok = (r > 1 + math.sqrt(c)) & (disc >= 0)
    t2 = np.where(ok, (b + np.sqrt(np.where(ok, disc, 0.0))) / 2, np.nan)
    return sigma * np.sqrt(t2)


def _haar_columns(dim, k, rng):
    q, r = np.linalg.qr(rng.standard_normal((dim, k)))
    return q * np.sign(np.diag(r))


def sample_rectangular(n, m, thetas, *, variance=1.0, entries="gaussian", rng, **params):
    """Sample ``W = R/sqrt(n) + U diag(thetas) V^T`` with Haar-distributed orthonormal ``U, V``.

    Parameters
    ----------
    n, m : int
        Shape, ``m <= n``.
    thetas : array_like
        Singular values of ``S`` (at most ``m``).
    variance : float
        ``sigma^2``.
    entries : str
        Entry law of ``R`` (:mod:`rmtlib.entries`), scaled by ``sigma``.
    rng : Generator or int
        Random source.
    **params
        Entry-law parameters.

    Returns
    -------
    dict
        ``W``, ``S``, ``U`` (n x k), ``V`` (m x k), ``thetas``.
    """
    if not (isinstance(n, Integral) and isinstance(m, Integral) and 1 <= m <= n):
        raise ValueError(f"need integers 1 <= m <= n, got n={n!r}, m={m!r}")
    s2 = _check_positive("variance", variance)
    th = np.atleast_1d(np.asarray(thetas, float))
    if th.size > m:
        raise ValueError(f"at most m={m} thetas, got {th.size}")
    from rmtlib import entries as _entries

    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    u = _haar_columns(n, th.size, rng)
    v = _haar_columns(m, th.size, rng)
    s = (u * th) @ v.T
    r = _entries.sample(entries, (n, m), rng=rng, **params)
    return {"W": r * math.sqrt(s2 / n) + s, "S": s, "U": u, "V": v, "thetas": th}


@functools.lru_cache(maxsize=64)
def _mp_quantiles_cached(ratio, count):
    from rmtlib import laws
    from rmtlib.deformed import bulk_points

    q = bulk_points(laws.MarchenkoPastur(ratio, variance=1.0), count)
    q.flags.writeable = False
    return q


def _mp_quantiles(ratio, count):
    """Quantiles ``F^{-1}((j-1/2)/count)`` of ``MP(ratio, 1)`` (cached: the cdf inversion is slow)."""
    return _mp_quantiles_cached(float(ratio), int(count))


def bema(singular_values, *, ratio, alpha=0.2):
    """Noise level ``sigma^2`` fitted to the bulk of the squared singular values.

    Parameters
    ----------
    singular_values : array_like
        The ``M`` singular values of ``W`` (``N x M``, scaled as in eq. (1.1)).
    ratio : float
        ``c = M/N``.
    alpha : float
        Fraction trimmed at each end, in (0, 0.5).

    Returns
    -------
    float
        Least-squares slope through the origin of the sorted ``s^2`` against the
        ``MP(c, 1)`` quantiles ``F^{-1}((j-1/2)/M)`` over ``alpha M <= j <= (1-alpha) M``.

    Notes
    -----
    BEMA of Ke, Ma and Lin (bulk eigenvalue matching), in the form used by the authors' group's
    public pruning code; the quantiles invert the MP cdf (not its density).
    """
    c = _check_ratio(ratio)
    if not isinstance(alpha, Real) or not 0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5), got {alpha!r}")
    lam = np.sort(np.asarray(singular_values, float) ** 2)
    m = lam.size
    q = _mp_quantiles(c, m)
    j = np.arange(m)
    sel = (j >= alpha * m) & (j <= (1 - alpha) * m)
    return float(np.dot(q[sel], lam[sel]) / np.dot(q[sel], q[sel]))


def mp_threshold(variance, *, ratio, n, level=0.95):
    """Singular-value threshold: the MP edge of ``W^T W`` plus a Tracy-Widom margin.

    Parameters
    ----------
    variance : float
        Fitted ``sigma^2``.
    ratio : float
        ``c = M/N``.
    n : int
        The larger dimension ``N``.
    level : {0.90, 0.95, 0.99}
        Tracy-Widom quantile.

    Returns
    -------
    float
        ``sqrt(lambda_+)`` with ``lambda_+ = sigma^2 [(1+sqrt c)^2 + t n^{-2/3} c^{-1/6} (1+sqrt c)^{4/3}]``.
    """
    s2 = _check_positive("variance", variance)
    c = _check_ratio(ratio)
    if level not in TW1_QUANTILES:
        raise ValueError(f"level must be one of {sorted(TW1_QUANTILES)}, got {level!r}")
    rc = math.sqrt(c)
    lam = s2 * ((1 + rc) ** 2 + TW1_QUANTILES[level] * n ** (-2 / 3) * c ** (-1 / 6) * (1 + rc) ** (4 / 3))
    return math.sqrt(lam)


def denoise(w, *, variance=None, alpha=0.2, level=0.95, shrink=False):
    """Estimate ``S`` from ``W``: keep singular values above the threshold, optionally shrink them.

    Parameters
    ----------
    w : ndarray, shape (N, M) or (M, N)
        Observed matrix; it is oriented so that the larger dimension is ``N``.
    variance : float, optional
        Noise ``sigma^2``; fitted by :func:`bema` if None.
    alpha, level : float
        BEMA trimming and Tracy-Widom level.
    shrink : bool
        Replace each kept ``s`` by ``theta_hat sqrt(ov_u ov_v)`` (optimal for the Frobenius loss).

    Returns
    -------
    dict
        ``estimate`` (same shape as ``w``), ``rank``, ``variance``, ``threshold``,
        ``singular_values`` (kept, before shrinkage).
    """
    w = np.asarray(w, float)
    flip = w.shape[0] < w.shape[1]
    x = w.T if flip else w
    n, m = x.shape
    c = m / n
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    s2 = bema(s, ratio=c, alpha=alpha) if variance is None else _check_positive("variance", variance)
    thr = mp_threshold(s2, ratio=c, n=n, level=level)
    keep = s > thr
    vals = s[keep]
    if shrink and vals.size:
        theta = rect_debias(vals, ratio=c, variance=s2)
        _, ou, ov = rect_spike(np.nan_to_num(theta), ratio=c, variance=s2)
        vals = np.nan_to_num(theta * np.sqrt(ou * ov))
    est = (u[:, keep] * vals) @ vt[keep]
    return {"estimate": est.T if flip else est, "rank": int(keep.sum()), "variance": s2,
            "threshold": thr, "singular_values": s[keep]}


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


# ----------------------------------------------------------------------------- a small network
def load_digits_split(*, test_size=0.3, random_state=0):
    """scikit-learn's shipped 8x8 digits, scaled to [0, 1], stratified train/test split.

    Returns
    -------
    x_train, x_test, y_train, y_test : ndarray
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    return train_test_split(data.data / 16.0, data.target, test_size=test_size,
                            stratify=data.target, random_state=random_state)


def init_mlp(widths, *, rng):
    """Weights ``(out x in)`` i.i.d. ``N(0, 1/fan_in)`` and zero biases for the given widths."""
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    return [(rng.standard_normal((b, a)) / math.sqrt(a), np.zeros(b)) for a, b in itertools.pairwise(widths)]


def mlp_loss_grads(params, x, y):
    """Mean softmax cross-entropy of a ReLU MLP and its analytic gradients (backpropagation).

    Parameters
    ----------
    params : list of (W, b)
        Layers, ``W`` of shape (out, in).
    x : ndarray, shape (batch, in)
    y : ndarray of int, shape (batch,)

    Returns
    -------
    loss : float
    grads : list of (dW, db)
    """
    acts = [x]
    for w, b in params[:-1]:
        acts.append(np.maximum(acts[-1] @ w.T + b, 0.0))
    w, b = params[-1]
    z = acts[-1] @ w.T + b
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -logp[np.arange(n), y].mean()
    delta = np.exp(logp)
    delta[np.arange(n), y] -= 1.0
    delta /= n
    grads = []
    for i in range(len(params) - 1, -1, -1):
        w, _ = params[i]
        grads.append((delta.T @ acts[i], delta.sum(axis=0)))
        if i:
            delta = (delta @ w) * (acts[i] > 0)
    return float(loss), grads[::-1]


def mlp_accuracy(params, x, y):
    """Classification accuracy of the MLP."""
    h = x
    for w, b in params[:-1]:
        h = np.maximum(h @ w.T + b, 0.0)
    w, b = params[-1]
    return float(np.mean(np.argmax(h @ w.T + b, axis=1) == y))


def sgd_epoch(params, x, y, *, lr, batch, rng):
    """One epoch of plain minibatch SGD in place; returns the mean loss."""
    order = rng.permutation(x.shape[0])
    losses = []
    for start in range(0, order.size, batch):
        idx = order[start:start + batch]
        loss, grads = mlp_loss_grads(params, x[idx], y[idx])
        losses.append(loss)
        for (w, b), (dw, db) in zip(params, grads):
            w -= lr * dw
            b -= lr * db
    return float(np.mean(losses))


def truncate(w, rank):
    """Best rank-``rank`` approximation of ``w`` (SVD truncation)."""
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    return (u[:, :rank] * s[:rank]) @ vt[:rank]


def spike_count(w, variance, *, level=0.95):
    """Number of singular values of ``w`` above :func:`mp_threshold` (larger dimension as ``N``)."""
    n, m = max(w.shape), min(w.shape)
    s = np.linalg.svd(w, compute_uv=False)
    return int(np.sum(s > mp_threshold(variance, ratio=m / n, n=n, level=level)))


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
