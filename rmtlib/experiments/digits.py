"""scikit-learn's shipped 8x8 digits (offline), the data of the chapters that train a network.

scikit-learn is imported when a loader is called, so that the library itself needs only numpy,
scipy and numba.
"""

from __future__ import annotations

import numpy as np

from rmtlib._numerics import validate as _validate

__all__ = ["load_digits_data", "load_digits_split"]


def load_digits_data(n=None, *, rng, drop_constant=False):
    """Digits (1797 x 64, 10 classes) scaled by 1/16 and standardised per feature.

    Parameters
    ----------
    n : int or None
        Size of a random subset (None: all 1797 samples). Standardisation uses the subset;
        constant pixels map to 0.
    rng : numpy.random.Generator or int
    drop_constant : bool
        Remove the pixels that are constant on the (sub)set: each would give every first-layer
        unit an input weight that the loss never sees, hence exactly null rows of the Hessian.

    Returns
    -------
    (ndarray, ndarray)
        Inputs ``(n, 64)`` (``(n, d)`` with the ``d`` non-constant pixels if ``drop_constant``) and
        integer labels ``(n,)``.
    """
    from sklearn.datasets import load_digits
    data = load_digits()
    x, y = data.data / 16.0, data.target.astype(np.int64)
    if n is not None:
        n = _validate.integer("n", n, low=2, high=x.shape[0])
        idx = np.sort(_validate.as_generator(rng).choice(x.shape[0], size=n, replace=False))
        x, y = x[idx], y[idx]
    sd = x.std(axis=0)
    if drop_constant:
        x, sd = x[:, sd > 0], sd[sd > 0]
    x = np.where(sd > 0, (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0), 0.0)
    return x, y


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
