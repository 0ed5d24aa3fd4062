"""A small MLP on scikit-learn's digits: training, exact Hessian and Gauss-Newton matrix.

This is the offline stand-in of spec ``granziol.md`` section 7.2 for the trained networks whose
spectra Granziol compares with the semicircle and Marchenko-Pastur laws (the paper's own networks,
VGG/ResNet on CIFAR, are not reproduced). Model: ``d -> h -> C`` with tanh hidden units and
softmax cross-entropy. Parameters are packed into one vector ``theta = [W1 | b1, W2 | b2]``
(row-major, the bias as the last column of each layer), ``P = h(d + 1) + C(h + 1)``.

Both curvature matrices are computed **in closed form** from the analytic derivatives of the
network, not by finite differences: with ``J_i`` the ``C x P`` logit Jacobian of sample ``i``,
``p_i`` its softmax output and ``r_i = p_i - e_{y_i}``,

``GGN = (1/n) sum_i J_i^T (diag p_i - p_i p_i^T) J_i``  and
``Hessian = GGN + (1/n) sum_i sum_k r_ik nabla^2 f_ik``,

where ``nabla^2 f_ik`` is nonzero only in the (W2, W1) and (W1, W1) blocks (tanh' and tanh'').
Closed forms are exact to roundoff, so exact zero eigenvalues (rank deficiency) are resolved at the
``1e-15`` level, which central differences of the gradient (error ``~1e-8``) could not do; the
tests check both matrices against central differences of the analytic gradient.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from rmtlib._numerics import validate as _validate

__all__ = [
    "Shape",
    "fd_hessian",
    "gauss_newton",
    "ggn_rank_bound",
    "hessian",
    "init_mlp",
    "init_params",
    "logit_jacobians",
    "loss_and_grad",
    "mlp_accuracy",
    "mlp_loss_grads",
    "sgd_epoch",
    "train",
]


@dataclass(frozen=True)
class Shape:
    """Layer sizes ``d -> h -> C`` of the MLP."""

    d: int
    h: int
    classes: int

    @property
    def n_params(self):
        """Number of parameters ``P = h(d+1) + C(h+1)``."""
        return self.h * (self.d + 1) + self.classes * (self.h + 1)

    def unpack(self, theta):
        """Return ``(W1ext, W2ext)`` of shapes ``(h, d+1)`` and ``(C, h+1)`` (views)."""
        k = self.h * (self.d + 1)
        return theta[:k].reshape(self.h, self.d + 1), theta[k:].reshape(self.classes, self.h + 1)


def init_params(shape, *, rng):
    """Weights ``N(0, 1/fan_in)``, biases 0, packed into ``theta``."""
    gen = _validate.as_generator(rng)
    theta = np.zeros(shape.n_params)
    w1, w2 = shape.unpack(theta)
    w1[:, :-1] = gen.standard_normal((shape.h, shape.d)) / math.sqrt(shape.d)
    w2[:, :-1] = gen.standard_normal((shape.classes, shape.h)) / math.sqrt(shape.h)
    return theta


def _forward(theta, x, shape):
    w1, w2 = shape.unpack(theta)
    xe = np.hstack([x, np.ones((x.shape[0], 1))])
    a = np.tanh(xe @ w1.T)
    ae = np.hstack([a, np.ones((x.shape[0], 1))])
    f = ae @ w2.T
    f = f - f.max(axis=1, keepdims=True)
    p = np.exp(f)
    p /= p.sum(axis=1, keepdims=True)
    return xe, a, ae, f, p


def loss_and_grad(theta, x, y, shape):
    """Mean softmax cross-entropy and its analytic gradient (backpropagation)."""
    xe, a, ae, f, p = _forward(theta, x, shape)
    n = x.shape[0]
    logp = f - np.log(np.exp(f).sum(axis=1, keepdims=True))
    loss = -float(np.mean(logp[np.arange(n), y]))
    r = p.copy()
    r[np.arange(n), y] -= 1.0
    r /= n
    _, w2 = shape.unpack(theta)
    delta = (r @ w2[:, :-1]) * (1.0 - a * a)
    return loss, np.concatenate([(delta.T @ xe).ravel(), (r.T @ ae).ravel()])


def train(x, y, shape, *, steps=2000, lr=0.01, weight_decay=1e-3, rng):
    """Full-batch Adam on ``loss + weight_decay |theta|^2 / 2``.

    Returns
    -------
    dict
        ``theta`` (final parameters), ``loss`` (unregularised training loss at the end),
        ``accuracy`` (training accuracy), ``history`` (loss every step).
    """
    steps = _validate.integer("steps", steps, low=1)
    lr = _validate.positive("lr", lr)
    weight_decay = _validate.real("weight_decay", weight_decay, low=0.0)
    theta = init_params(shape, rng=rng)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    b1, b2, eps = 0.9, 0.999, 1e-8
    history = np.empty(steps)
    for t in range(1, steps + 1):
        loss, g = loss_and_grad(theta, x, y, shape)
        history[t - 1] = loss
        g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    loss, _ = loss_and_grad(theta, x, y, shape)
    p = _forward(theta, x, shape)[4]
    return {"theta": theta, "loss": loss, "accuracy": float(np.mean(p.argmax(1) == y)),
            "history": history}


def logit_jacobians(theta, x, shape):
    """Per-sample logit Jacobians, shape ``(n, C, P)``, and softmax outputs ``(n, C)``."""
    xe, a, ae, _, p = _forward(theta, x, shape)
    _, w2 = shape.unpack(theta)
    n, c = x.shape[0], shape.classes
    j1 = np.einsum("kj,ij,il->ikjl", w2[:, :-1], 1.0 - a * a, xe).reshape(n, c, -1)
    j2 = np.einsum("km,ij->ikmj", np.eye(c), ae).reshape(n, c, -1)
    return np.concatenate([j1, j2], axis=2), p


def gauss_newton(theta, x, shape, *, chunk=200):
    """Exact generalized Gauss-Newton matrix ``(1/n) sum_i J_i^T (diag p_i - p_i p_i^T) J_i``.

    Notes
    -----
    ``diag p - p p^T = L L^T`` with ``L = (I - p 1^T) diag(sqrt p)``, so the matrix is assembled
    as ``S^T S / n`` with ``S_i = sqrt(p_i) * (J_i - p_i^T J_i)``: positive semidefinite by
    construction, its null space exact to roundoff.
    """
    n, big = x.shape[0], np.zeros((shape.n_params, shape.n_params))
    for s in range(0, n, chunk):
        jac, p = logit_jacobians(theta, x[s:s + chunk], shape)
        centred = jac - np.einsum("ik,ikq->iq", p, jac)[:, None, :]
        sq = (np.sqrt(p)[:, :, None] * centred).reshape(-1, shape.n_params)
        big += sq.T @ sq
    return big / n


def hessian(theta, x, y, shape):
    """Exact Hessian of the mean cross-entropy: Gauss-Newton part plus the residual term.

    Notes
    -----
    With ``r_ik = p_ik - [y_i = k]``, ``a' = 1 - a^2``, ``a'' = -2 a a'`` and ``x~ = [x, 1]``:
    ``d^2 f_k / dW2[k,j] dW1[j,l] = a'_j x~_l`` and
    ``d^2 f_k / dW1[j,l] dW1[j,l'] = W2[k,j] a''_j x~_l x~_l'`` (derived by differentiating the
    network twice), all other second derivatives of the logits vanish.
    """
    xe, a, _, _, p = _forward(theta, x, shape)
    n, h, d1 = x.shape[0], shape.h, shape.d + 1
    _, w2 = shape.unpack(theta)
    r = p.copy()
    r[np.arange(n), y] -= 1.0
    da = 1.0 - a * a
    dda = -2.0 * a * da
    k1 = h * d1
    res = np.zeros((shape.n_params, shape.n_params))
    # (W1, W1): block-diagonal over hidden units j.
    coef = (r @ w2[:, :-1]) * dda / n                     # (n, h)
    blocks = np.einsum("ij,il,im->jlm", coef, xe, xe)     # (h, d1, d1)
    for j in range(h):
        res[j * d1:(j + 1) * d1, j * d1:(j + 1) * d1] = blocks[j]
    # (W2, W1): rows W2ext[k, j] (j < h), columns W1ext[j, :].
    cross = np.einsum("ik,ij,il->kjl", r, da, xe) / n      # (C, h, d1)
    for k in range(shape.classes):
        for j in range(h):
            row = k1 + k * (h + 1) + j
            res[row, j * d1:(j + 1) * d1] = cross[k, j]
            res[j * d1:(j + 1) * d1, row] = cross[k, j]
    return gauss_newton(theta, x, shape) + res


def fd_hessian(theta, x, y, shape, *, eps=1e-5, columns=None):
    """Central differences of the analytic gradient (columns of the Hessian), for tests."""
    cols = range(shape.n_params) if columns is None else columns
    out = []
    for q in cols:
        e = np.zeros_like(theta)
        e[q] = eps
        out.append((loss_and_grad(theta + e, x, y, shape)[1]
                    - loss_and_grad(theta - e, x, y, shape)[1]) / (2 * eps))
    return np.array(out).T


def ggn_rank_bound(n, classes, n_params):
    """Lower bound on the zero mass of the Gauss-Newton matrix: ``1 - min(1, n (C - 1) / P)``.

    Notes
    -----
    Each ``J_i^T H_i J_i`` has rank at most ``C - 1`` (``H_i 1 = 0``), so the sum has rank at
    most ``min(P, n(C-1))`` (spec section 4.3, derived).
    """
    return 1.0 - min(1.0, n * (classes - 1) / n_params)


# ----------------------------------------------------------------------------- deep ReLU MLP
def init_mlp(widths, *, rng):
    """Weights ``(out x in)`` i.i.d. ``N(0, 1/fan_in)`` and zero biases for the given widths."""
    rng = _validate.as_generator(rng)
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
