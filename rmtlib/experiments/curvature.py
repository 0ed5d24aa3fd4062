"""Curvature spectra of a trained digits MLP: the products chapter's trained-network experiment."""

from __future__ import annotations

import numpy as np

from rmtlib._numerics import validate as _validate
from rmtlib.experiments.digits import load_digits_data
from rmtlib.models.networks import MLP, ggn_rank_bound, train_adam

__all__ = ["curvature_spectra"]


def curvature_spectra(n, *, hidden=16, steps=2000, lr=0.01, weight_decay=1e-3, rng):
    """Train a ``64 -> hidden -> 10`` tanh MLP on ``n`` digits; its Hessian and GGN eigenvalues.

    Parameters
    ----------
    n : int
        Number of training samples (1797: the whole set).
    hidden, steps, lr, weight_decay
        Width and settings of :func:`~rmtlib.models.networks.train_adam`.
    rng : numpy.random.Generator or int
        Draws the subset and the initialisation.

    Returns
    -------
    dict
        ``n``, ``P``, ``loss`` (unregularised cross-entropy at the end), ``accuracy``,
        ``hessian`` and ``ggn`` (sorted eigenvalues), ``bound`` (:func:`rmtlib.models.networks.ggn_rank_bound`).

    Notes
    -----
    An offline stand-in for the trained networks whose curvature spectra Granziol (2020,
    arXiv:2006.07721) compares with RMT laws. Both matrices are of the unregularised cross-entropy
    at the end of training and exact (``book/derivations.md, eqs. (net-ggn), (net-residual)``);
    the Gauss-Newton zero mass is at least ``book/derivations.md, eq. (net-ggn-rank)``.
    """
    gen = _validate.as_generator(rng)
    x, y = load_digits_data(None if n >= 1797 else n, rng=gen)
    net = MLP((x.shape[1], _validate.integer("hidden", hidden, low=1), 10), "tanh")
    fit = train_adam(net, x, y, steps=steps, lr=lr, weight_decay=weight_decay, rng=gen)
    theta = fit["theta"]
    return {"n": x.shape[0], "P": net.n_params, "loss": fit["loss"], "accuracy": fit["accuracy"],
            "hessian": np.linalg.eigvalsh(net.hessian(theta, x, y)),
            "ggn": np.linalg.eigvalsh(net.gauss_newton(theta, x)),
            "bound": ggn_rank_bound(x.shape[0], net.classes, net.n_params)}
