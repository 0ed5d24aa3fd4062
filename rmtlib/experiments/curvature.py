"""Curvature spectra of a trained digits MLP: the products chapter's trained-network experiment."""

from __future__ import annotations

import numpy as np

from rmtlib._numerics import validate as _validate
from rmtlib.experiments.digits import load_digits_data
from rmtlib.models.networks import Shape, gauss_newton, ggn_rank_bound, hessian, train

__all__ = ["curvature_spectra"]


def curvature_spectra(n, *, hidden=16, steps=2000, lr=0.01, weight_decay=1e-3, rng):
    """Train the digits MLP on ``n`` samples and return its Hessian and GGN eigenvalues.

    Parameters
    ----------
    n : int
        Number of training samples (1797: the whole set).
    hidden, steps, lr, weight_decay
        Width and training settings of :func:`train`.
    rng : numpy.random.Generator or int
        Draws the subset and the initialisation.

    Returns
    -------
    dict
        ``n``, ``P``, ``loss`` (unregularised cross-entropy at the end), ``accuracy``,
        ``hessian`` and ``ggn`` (sorted eigenvalues), ``bound`` (:func:`ggn_rank_bound`).
    """
    gen = _validate.as_generator(rng)
    x, y = load_digits_data(None if n >= 1797 else n, rng=gen)
    shape = Shape(x.shape[1], _validate.integer("hidden", hidden, low=1), 10)
    fit = train(x, y, shape, steps=steps, lr=lr, weight_decay=weight_decay, rng=gen)
    theta = fit["theta"]
    return {"n": x.shape[0], "P": shape.n_params, "loss": fit["loss"], "accuracy": fit["accuracy"],
            "hessian": np.linalg.eigvalsh(hessian(theta, x, y, shape)),
            "ggn": np.linalg.eigvalsh(gauss_newton(theta, x, shape)),
            "bound": ggn_rank_bound(x.shape[0], shape.classes, shape.n_params)}
