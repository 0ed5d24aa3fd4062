"""The activation registry shared by every chapter.

An activation is a name from `NAMES` or a pair of vectorized callables
``(phi, dphi)``; `get` turns either into an `Activation`, which also knows the
kinks of phi and phi' (points where a Gaussian integral must be split for
accurate quadrature) and whether phi' exists as a function.
"""

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
from scipy import special

_SQRT_2PI = np.sqrt(2.0 * np.pi)


@dataclass(frozen=True)
class Activation:
    """A scalar activation function phi with its derivative and kinks.

    Attributes
    ----------
    name : str
        Registry name, or ``"custom"`` for a user's pair of callables.
    phi : callable
        Vectorized phi(x).
    dphi : callable or None
        Vectorized phi'(x); None where phi has no derivative as a function (sign).
    kinks : tuple of float
        Points where phi or phi' is not smooth.
    description : str
        One line, with the formula.
    """

    name: str
    phi: Callable
    dphi: Optional[Callable]
    kinks: tuple = ()
    description: str = ""


def _relu(x):
    return np.maximum(x, 0.0)


def _step(x):
    return (np.asarray(x) > 0).astype(float)


def _hard_tanh(x):
    return np.clip(x, -1.0, 1.0)


def _hard_tanh_prime(x):
    return (np.abs(np.asarray(x)) < 1.0).astype(float)


def _tanh_prime(x):
    return 1.0 / np.cosh(x) ** 2


def _erf_prime(x):
    return 2.0 / np.sqrt(np.pi) * np.exp(-np.asarray(x) ** 2)


def _identity(x):
    return np.asarray(x, dtype=float) * 1.0


def _one(x):
    return np.ones_like(np.asarray(x, dtype=float))


def _relu_centered(x):
    return np.maximum(x, 0.0) - 1.0 / _SQRT_2PI


def _abs_centered(x):
    return np.abs(x) - np.sqrt(2.0 / np.pi)


def _sign(x):
    return np.sign(x) * 1.0


_REGISTRY = {
    "tanh": Activation("tanh", np.tanh, _tanh_prime, (), "tanh(x)"),
    "relu": Activation("relu", _relu, _step, (0.0,), "max(x, 0)"),
    "hard_tanh": Activation("hard_tanh", _hard_tanh, _hard_tanh_prime, (-1.0, 1.0), "clip(x, -1, 1)"),
    "linear": Activation("linear", _identity, _one, (), "x"),
    "erf": Activation("erf", special.erf, _erf_prime, (), "erf(x)"),
    "relu_centered": Activation(
        "relu_centered", _relu_centered, _step, (0.0,), "max(x, 0) - 1/sqrt(2 pi) (centred for x ~ N(0, 1))"
    ),
    "abs_centered": Activation(
        "abs_centered", _abs_centered, _sign, (0.0,), "|x| - sqrt(2/pi) (centred for x ~ N(0, 1))"
    ),
    "sign": Activation("sign", _sign, None, (0.0,), "sign(x) (no derivative as a function)"),
}

NAMES = tuple(_REGISTRY)


def register(activation):
    """Add an `Activation` to the registry under its name (an existing name is refused).

    Parameters
    ----------
    activation : Activation
        The activation to add.
    """
    if not isinstance(activation, Activation):
        raise TypeError(f"activation must be an Activation, got {type(activation).__name__}")
    if activation.name in _REGISTRY:
        raise ValueError(f"activation {activation.name!r} is already registered")
    _REGISTRY[activation.name] = activation
    global NAMES
    NAMES = tuple(_REGISTRY)


def get(activation):
    """Return the `Activation` for a registry name, a pair ``(phi, dphi)`` or an `Activation`.

    Parameters
    ----------
    activation : str, tuple of two callables, or Activation
        A name from `NAMES`, or ``(phi, dphi)`` with ``dphi`` possibly None.

    Returns
    -------
    Activation
    """
    if isinstance(activation, Activation):
        return activation
    if isinstance(activation, str):
        if activation not in _REGISTRY:
            raise ValueError(f"activation must be one of {list(_REGISTRY)} or a pair (phi, dphi), got {activation!r}")
        return _REGISTRY[activation]
    if isinstance(activation, (tuple, list)) and len(activation) == 2:
        phi, dphi = activation
        if not callable(phi) or not (dphi is None or callable(dphi)):
            raise TypeError("activation as a pair must be (phi, dphi) with callables (dphi may be None)")
        return Activation("custom", phi, dphi, (), "user-supplied")
    raise ValueError(f"activation must be one of {list(_REGISTRY)} or a pair (phi, dphi), got {activation!r}")
