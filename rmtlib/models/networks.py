"""The one MLP of the book: a softmax cross-entropy network of any depth with exact curvature.

Every chapter that trains a network uses :class:`MLP`: the products chapter a one-hidden-layer tanh
network on digits whose Hessian and Gauss-Newton spectra it compares with RMT laws, the deformed
chapter a ReLU network whose weight matrices it prunes. Gradients, Hessian-vector products and
Gauss-Newton-vector products are written out by hand (backpropagation and the R-operator of
Pearlmutter 1994, Neural Computation 6, 147; the formulas are ``book/derivations.md, eqs.
(net-hvp), (net-ggn), (net-residual)``). The full Hessian and Gauss-Newton matrix of a small
network are assembled in closed form, exact to roundoff, so that exact zero eigenvalues are
resolved at the ``1e-15`` level. The tests check all of them against central differences of the
analytic gradient.

Layout: ``widths = (n_0, ..., n_L)``; layer ``l`` maps ``h_{l-1}`` to ``z_l = W_l h_{l-1} + b_l``,
``h_l = phi(z_l)`` for hidden layers and ``f = z_L`` (the logits). Parameters are one flat vector
``theta``; layer ``l`` occupies the row-major block ``[W_l | b_l]`` of shape ``(n_l, n_{l-1} + 1)``,
so :meth:`MLP.layers` returns views ``(W_l, b_l)`` that training may update in place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rmtlib._numerics import validate as _validate

__all__ = ["ACTIVATIONS", "MLP", "ggn_rank_bound", "sgd_epoch", "train_adam"]

ACTIVATIONS = ("tanh", "relu")


def _extend(h):
    """Append the constant input 1 that multiplies the bias column."""
    return np.hstack([h, np.ones((h.shape[0], 1))])


@dataclass(frozen=True)
class MLP:
    """Fully connected softmax classifier ``n_0 -> ... -> n_L`` with tanh or ReLU hidden units.

    Parameters
    ----------
    widths : sequence of int
        Layer widths ``(n_0, ..., n_L)``, at least two; ``n_L`` is the number of classes.
    activation : {"tanh", "relu"}
        Hidden nonlinearity ``phi``.

    Notes
    -----
    The methods share their arguments: ``theta`` (the ``P`` parameters, laid out as in the module
    docstring), ``x`` (inputs, shape ``(n, n_0)``), ``y`` (integer labels, shape ``(n,)``) and
    ``v`` (a direction in parameter space, shape ``(P,)``).
    """

    widths: tuple
    activation: str = "tanh"

    def __post_init__(self):
        if not isinstance(self.widths, (tuple, list, np.ndarray)) or len(self.widths) < 2:
            raise ValueError(f"widths needs at least an input and an output width, got {self.widths!r}")
        widths = tuple(_validate.dimension("widths", w) for w in self.widths)
        object.__setattr__(self, "widths", widths)
        _validate.choice("activation", self.activation, ACTIVATIONS)

    @property
    def classes(self):
        """Number of outputs ``n_L``."""
        return self.widths[-1]

    @property
    def n_params(self):
        """Number of parameters ``P = sum_l n_l (n_{l-1} + 1)``."""
        return int(self._offsets()[-1])

    def _offsets(self):
        return np.cumsum([0] + [b * (a + 1) for a, b in zip(self.widths, self.widths[1:])])

    def unpack(self, theta):
        """Views ``[W_l | b_l]`` of shapes ``(n_l, n_{l-1} + 1)`` into ``theta`` (or a direction)."""
        offs = self._offsets()
        return [theta[offs[l]:offs[l + 1]].reshape(b, a + 1)
                for l, (a, b) in enumerate(zip(self.widths, self.widths[1:]))]

    def layers(self, theta):
        """Views ``(W_l, b_l)`` into ``theta``, ``W_l`` of shape ``(n_l, n_{l-1})``."""
        return [(e[:, :-1], e[:, -1]) for e in self.unpack(theta)]

    def init(self, *, rng):
        """Weights i.i.d. ``N(0, 1/n_{l-1})`` drawn layer by layer, biases 0."""
        gen = _validate.as_generator(rng)
        theta = np.zeros(self.n_params)
        for e in self.unpack(theta):
            e[:, :-1] = gen.standard_normal((e.shape[0], e.shape[1] - 1)) / math.sqrt(e.shape[1] - 1)
        return theta

    # ------------------------------------------------------------------------ activation
    def _d1(self, h):
        """``phi'(z)`` written through ``h = phi(z)``."""
        return 1.0 - h * h if self.activation == "tanh" else h > 0

    def _d2(self, h, d1):
        """``phi''(z)`` through ``h`` and ``phi'``: ``-2 h (1 - h^2)`` for tanh, 0 for ReLU."""
        return -2.0 * h * d1 if self.activation == "tanh" else np.zeros(h.shape)

    # ------------------------------------------------------------------------ passes
    def forward(self, theta, x):
        """Forward pass.

        Returns
        -------
        (list of ndarray, ndarray, ndarray)
            The inputs of every layer ``[x, h_1, ..., h_{L-1}]``, the logits shifted by their row
            maximum, and the softmax outputs ``p``, shape ``(n, C)``.
        """
        hs, layers = [np.asarray(x, float)], self.layers(theta)
        for w, b in layers[:-1]:
            z = hs[-1] @ w.T + b
            hs.append(np.tanh(z) if self.activation == "tanh" else np.maximum(z, 0.0))
        w, b = layers[-1]
        f = hs[-1] @ w.T + b
        f = f - f.max(axis=1, keepdims=True)
        p = np.exp(f)
        p /= p.sum(axis=1, keepdims=True)
        return hs, f, p

    def _backward(self, theta, hs, delta):
        """Gradient of ``sum_ik delta_ik f_ik`` (backpropagation from the logits), flat."""
        layers, grads = self.layers(theta), []
        for l in range(len(layers) - 1, -1, -1):
            grads.append((delta.T @ _extend(hs[l])).ravel())
            if l:
                delta = (delta @ layers[l][0]) * self._d1(hs[l])
        return np.concatenate(grads[::-1])

    def _directional(self, theta, hs, v):
        """Forward-mode derivatives ``R z_l`` of every pre-activation along ``v`` (R-operator)."""
        out = []
        for l, ((w, _), (vw, vb)) in enumerate(zip(self.layers(theta), self.layers(v))):
            z = hs[l] @ vw.T + vb
            if l:
                z += (self._d1(hs[l]) * out[-1]) @ w.T
            out.append(z)
        return out

    def loss_and_grad(self, theta, x, y):
        """Mean softmax cross-entropy and its analytic gradient.

        Returns
        -------
        (float, ndarray)
            The loss and its gradient, laid out like ``theta``.

        Notes
        -----
        Backpropagation, ``book/derivations.md, eq. (net-backprop)``.
        """
        hs, f, p = self.forward(theta, x)
        n = f.shape[0]
        logp = f - np.log(np.exp(f).sum(axis=1, keepdims=True))
        loss = -float(np.mean(logp[np.arange(n), y]))
        r = p.copy()
        r[np.arange(n), y] -= 1.0
        r /= n
        return loss, self._backward(theta, hs, r)

    def accuracy(self, theta, x, y):
        """Fraction of samples whose largest logit is the label."""
        return float(np.mean(np.argmax(self.forward(theta, x)[1], axis=1) == y))

    def gvp(self, theta, x, v):
        """Gauss-Newton-vector product ``G v = (1/n) sum_i J_i^T (diag p_i - p_i p_i^T) J_i v``, shape (P,).

        Notes
        -----
        ``J_i v`` is the forward R-pass, the output curvature is applied in the logits and the
        result is pulled back by backpropagation; see ``book/derivations.md, eq. (net-ggn)``.
        """
        hs, _, p = self.forward(theta, x)
        rf = self._directional(theta, hs, v)[-1]
        return self._backward(theta, hs, p * (rf - (p * rf).sum(axis=1, keepdims=True)) / rf.shape[0])

    def hvp(self, theta, x, y, v):
        """Exact Hessian-vector product of the mean cross-entropy (Pearlmutter's R-operator), shape (P,).

        Notes
        -----
        The R-operator applied to backpropagation: with ``delta_l`` the backpropagated error and
        ``R`` the directional derivative along ``v``, ``R grad_l = R delta_l^T [h_{l-1}, 1] +
        delta_l^T [R h_{l-1}, 0]`` and ``R delta_{l-1} = (R delta_l W_l + delta_l V_l) phi' +
        (delta_l W_l) phi'' R z_{l-1}``; see ``book/derivations.md, eq. (net-hvp)``.
        """
        hs, _, p = self.forward(theta, x)
        n, layers, dirs = p.shape[0], self.layers(theta), self.layers(v)
        rz = self._directional(theta, hs, v)
        delta = p.copy()
        delta[np.arange(n), y] -= 1.0
        delta /= n
        rdelta = p * (rz[-1] - (p * rz[-1]).sum(axis=1, keepdims=True)) / n
        grads = []
        for l in range(len(layers) - 1, -1, -1):
            g = rdelta.T @ _extend(hs[l])
            if l:
                d1 = self._d1(hs[l])
                g[:, :-1] += delta.T @ (d1 * rz[l - 1])
                back = delta @ layers[l][0]
                rdelta = ((rdelta @ layers[l][0] + delta @ dirs[l][0]) * d1
                          + back * self._d2(hs[l], d1) * rz[l - 1])
                delta = back * d1
            grads.append(g.ravel())
        return np.concatenate(grads[::-1])

    # ------------------------------------------------------------------------ full matrices
    def _sensitivities(self, theta, hs):
        """``B_l = d f / d z_l`` of every hidden layer, shapes ``(n, C, n_l)``."""
        layers, sens = self.layers(theta), []
        for l in range(len(layers) - 1, 0, -1):
            w = layers[l][0]
            sens.append((w[None] if not sens else sens[-1] @ w) * self._d1(hs[l])[:, None, :])
        return sens[::-1]

    def _deep_jacobians(self, theta, hs):
        """``D_l = d z_l / d theta_{<l}`` of every hidden layer, shapes ``(n, n_l, offset_l)``."""
        layers, n = self.layers(theta), hs[0].shape[0]
        deep = [np.zeros((n, self.widths[1], 0))]
        for l in range(1, len(layers) - 1):
            g = layers[l][0][None] * self._d1(hs[l])[:, None, :]     # d z_{l+1} / d z_l
            own = np.einsum("ikj,il->ikjl", g, _extend(hs[l - 1])).reshape(n, g.shape[1], -1)
            deep.append(np.concatenate([g @ deep[-1], own], axis=2))
        return deep

    def logit_jacobians(self, theta, x):
        """Per-sample logit Jacobians ``J_i``, shape ``(n, C, P)``, and softmax outputs ``(n, C)``."""
        hs, _, p = self.forward(theta, x)
        n, c = p.shape
        blocks = [np.einsum("ikj,il->ikjl", s, _extend(h)).reshape(n, c, -1)
                  for s, h in zip(self._sensitivities(theta, hs), hs)]
        blocks.append(np.einsum("km,ij->ikmj", np.eye(c), _extend(hs[-1])).reshape(n, c, -1))
        return np.concatenate(blocks, axis=2), p

    def gauss_newton(self, theta, x, *, chunk=200):
        """Exact generalized Gauss-Newton matrix ``(1/n) sum_i J_i^T (diag p_i - p_i p_i^T) J_i``, (P, P).

        Parameters
        ----------
        chunk : int
            Samples per block of Jacobians (memory ``chunk C P``).

        Notes
        -----
        ``diag p - p p^T = L L^T`` with ``L = (I - p 1^T) diag(sqrt p)``, so the matrix is
        assembled as ``S^T S / n`` with ``S_i = sqrt(p_i) (J_i - p_i^T J_i)``: positive
        semidefinite by construction, its null space exact to roundoff
        (``book/derivations.md, eq. (net-ggn)``).
        """
        n, big = x.shape[0], np.zeros((self.n_params, self.n_params))
        for s in range(0, n, chunk):
            jac, p = self.logit_jacobians(theta, x[s:s + chunk])
            centred = jac - np.einsum("ik,ikq->iq", p, jac)[:, None, :]
            sq = (np.sqrt(p)[:, :, None] * centred).reshape(-1, self.n_params)
            big += sq.T @ sq
        return big / n

    def hessian(self, theta, x, y):
        """Exact Hessian of the mean cross-entropy, shape (P, P): the Gauss-Newton matrix plus the residual.

        Notes
        -----
        ``H = G + (1/n) sum_i sum_k r_ik nabla^2 f_ik`` with ``r_i = p_i - e_{y_i}``. The residual
        has two kinds of terms (``book/derivations.md, eq. (net-residual)``): the curvature
        ``phi''`` of each hidden layer, sandwiched between Jacobians of its pre-activation, and the
        bilinear coupling of ``W_l`` with its input ``h_{l-1}``. A layer's own block is
        block-diagonal over its units and is built directly; blocks that reach earlier layers use
        the per-sample Jacobians ``D_l = d z_l / d theta_{<l}`` (memory ``n n_l P``: small networks).
        """
        hs, _, p = self.forward(theta, x)
        n, offs, layers = p.shape[0], self._offsets(), self.layers(theta)
        deep = self._deep_jacobians(theta, hs)
        sym = np.zeros((self.n_params, self.n_params))   # symmetric terms
        low = np.zeros_like(sym)                          # terms below the block diagonal
        delta = p.copy()                                  # d(sum_k r_k f_k)/dz, layer by layer
        delta[np.arange(n), y] -= 1.0
        for l in range(len(layers) - 1, 0, -1):
            d1, he, dl = self._d1(hs[l]), _extend(hs[l - 1]), deep[l - 1]
            a, units, q = self.widths[l], np.arange(self.widths[l]), dl.shape[2]
            rows, own, prev = slice(offs[l], offs[l + 1]), slice(offs[l - 1], offs[l]), slice(0, q)
            back = delta @ layers[l][0]
            coef = back * self._d2(hs[l], d1) / n
            # W_{l+1} against its input h_l = phi(z_l), and phi''(z_l), through z_l's own layer
            cross = np.zeros((self.widths[l + 1], a + 1, a, he.shape[1]))
            cross[:, units, units, :] = np.einsum("ik,ij,il->kjl", delta, d1, he) / n
            low[rows, own] += cross.reshape(offs[l + 1] - offs[l], -1)
            block = np.zeros((a, he.shape[1], a, he.shape[1]))
            block[units, :, units, :] = np.einsum("ij,il,im->jlm", coef, he, he)
            sym[own, own] += block.reshape(offs[l] - offs[l - 1], -1)
            if q:   # the same two terms through the earlier layers
                cross = np.zeros((self.widths[l + 1], a + 1, q))
                cross[:, :a, :] = np.einsum("ik,ij,ijq->kjq", delta, d1, dl) / n
                low[rows, prev] += cross.reshape(-1, q)
                low[own, prev] += np.einsum("ij,il,ijq->jlq", coef, he, dl).reshape(-1, q)
                sym[prev, prev] += (dl * coef[:, :, None]).reshape(-1, q).T @ dl.reshape(-1, q)
            delta = back * d1
        return self.gauss_newton(theta, x) + (sym + low + low.T)


def _data(net, x, y):
    """Validate a network and its data: inputs (n, n_0) and integer labels in [0, classes)."""
    xs, ys = _validate.real_array("x", x, ndim=2), _validate.real_array("y", y)
    if xs.shape != (ys.size, _validate.instance("net", net, MLP).widths[0]) or ys.size == 0:
        raise ValueError(f"x must have shape (n, {net.widths[0]}) with n = len(y) > 0, got {xs.shape}")
    if np.any((ys != np.round(ys)) | (ys < 0) | (ys >= net.classes)):
        raise ValueError(f"y must hold integer labels in [0, {net.classes})")
    return np.asarray(x), np.asarray(y)


def ggn_rank_bound(n, classes, n_params):
    """Lower bound on the zero mass of the Gauss-Newton matrix: ``1 - min(1, n (C - 1) / P)``.

    Notes
    -----
    Each ``J_i^T H_i J_i`` has rank at most ``C - 1`` (``H_i 1 = 0``), so the sum has rank at most
    ``min(P, n (C - 1))``; derived for this book, ``book/derivations.md, eq. (net-ggn-rank)``.
    """
    n, classes = _validate.integer("n", n, low=0), _validate.integer("classes", classes, low=1)
    return 1.0 - min(1.0, n * (classes - 1) / _validate.integer("n_params", n_params, low=1))


def train_adam(net, x, y, *, steps=2000, lr=0.01, weight_decay=1e-3, rng):
    """Full-batch Adam on ``loss + weight_decay |theta|^2 / 2`` from :meth:`MLP.init`.

    Parameters
    ----------
    net : MLP
    x, y : ndarray
        Inputs ``(n, n_0)`` and integer labels ``(n,)``.
    steps : int
    lr, weight_decay : float
        Step size of Adam (Kingma and Ba 2015, Algorithm 1, with beta = (0.9, 0.999)) and the
        coefficient of the L2 penalty.
    rng : numpy.random.Generator or int
        Draws the initialisation.

    Returns
    -------
    dict
        ``theta`` (final parameters), ``loss`` (unregularised training loss at the end),
        ``accuracy`` (training accuracy), ``history`` (loss at every step).
    """
    x, y = _data(net, x, y)
    steps, lr = _validate.integer("steps", steps, low=1, high=10**7), _validate.positive("lr", lr)
    weight_decay = _validate.real("weight_decay", weight_decay, low=0.0)
    theta = net.init(rng=rng)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    b1, b2, eps = 0.9, 0.999, 1e-8
    history = np.empty(steps)
    for t in range(1, steps + 1):
        loss, g = net.loss_and_grad(theta, x, y)
        history[t - 1] = loss
        g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return {"theta": theta, "loss": net.loss_and_grad(theta, x, y)[0],
            "accuracy": net.accuracy(theta, x, y), "history": history}


def sgd_epoch(net, theta, x, y, *, lr, batch, rng):
    """One epoch of plain minibatch SGD, updating ``theta`` in place.

    Parameters
    ----------
    net : MLP
    theta : ndarray
        Parameters, updated in place (views from ``net.layers(theta)`` follow).
    x, y : ndarray
        Training inputs and integer labels.
    lr : float
    batch : int
        Minibatch size; the last minibatch holds the remainder.
    rng : numpy.random.Generator
        Draws the order of the samples (one permutation per epoch).

    Returns
    -------
    float
        The mean of the minibatch losses.
    """
    x, y = _data(net, x, y)
    if not (isinstance(theta, np.ndarray) and theta.dtype == float and theta.shape == (net.n_params,)):
        raise TypeError(f"theta must be a float array of shape ({net.n_params},) (updated in place)")
    lr, batch = _validate.positive("lr", lr), _validate.integer("batch", batch, low=1)
    order = _validate.as_generator(rng).permutation(x.shape[0])
    losses = []
    for start in range(0, order.size, batch):
        idx = order[start:start + batch]
        loss, g = net.loss_and_grad(theta, x[idx], y[idx])
        losses.append(loss)
        theta -= lr * g
    return float(np.mean(losses))
