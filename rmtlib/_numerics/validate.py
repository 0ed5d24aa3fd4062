"""Parameter validation shared by every public function (private).

Each helper raises a `ValueError` (or `TypeError`) that names the parameter and
its valid range, so bad input fails before any heavy work starts.
"""

import numbers

import numpy as np

#: Largest matrix dimension accepted by `dimension` (a dense 10^6 x 10^6 float matrix is 8 TB).
MAX_DIMENSION = 10**6
#: Largest network depth accepted (the layer recursions run serially, one quadrature per layer).
MAX_DEPTH = 10**5


def as_generator(rng):
    """Return a `numpy.random.Generator` from a Generator, a seed or a SeedSequence.

    Parameters
    ----------
    rng : numpy.random.Generator, int or numpy.random.SeedSequence
        Source of randomness; the same seed always gives the same numbers.

    Returns
    -------
    numpy.random.Generator
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng must be a non-negative int seed, got {rng!r}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        "rng must be a numpy.random.Generator, a SeedSequence or a non-negative int seed, "
        f"got {rng!r}"
    )


def seed_int(seed):
    """An int master seed: the int itself, or the first word of a SeedSequence's state."""
    return int(seed.generate_state(1)[0]) if isinstance(seed, np.random.SeedSequence) else seed


def real(name, value, *, low=-np.inf, high=np.inf, low_open=False, high_open=False):
    """Check that `value` is a finite real number in the given interval and return it as float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {left}{low}, {high}{right}, got {value!r}")
    return value


def positive(name, value):
    """Check that `value` is a finite real number > 0 and return it as float."""
    return real(name, value, low=0.0, low_open=True)


def integer(name, value, *, low=None, high=None):
    """Check that `value` is an integer in [low, high] and return it as int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value}")
    return value


def dimension(name, value, *, low=1):
    """Check that `value` is a matrix dimension: an integer in [low, `MAX_DIMENSION`]."""
    return integer(name, value, low=low, high=MAX_DIMENSION)


def instance(name, value, cls):
    """Check that `value` is an instance of `cls` (a class or tuple of classes) and return it."""
    if not isinstance(value, cls):
        kinds = " or ".join(c.__name__ for c in (cls if isinstance(cls, tuple) else (cls,)))
        raise TypeError(f"{name} must be a {kinds}, got {type(value).__name__}")
    return value


def choice(name, value, options):
    """Check that `value` is one of `options` (listed in the error) and return it."""
    value = bool(value) if isinstance(value, np.bool_) else value
    if not any(isinstance(value, type(o)) and value == o for o in options):
        raise ValueError(f"{name} must be one of {sorted(options)}, got {value!r}")
    return value


def complex_array(name, values):
    """Convert `values` (any shape) to a complex array, refusing NaN, inf and non-numbers."""
    try:
        arr = np.asarray(values, dtype=complex)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of complex numbers, got {values!r:.60}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values")
    return arr


def real_array(name, values, *, ndim=1, finite=True):
    """Convert `values` to a float array of the given dimension (None: any), refusing NaN or inf."""
    try:
        raw = np.asarray(values)
    except ValueError:  # ragged nested sequences
        raise ValueError(f"{name} must be a rectangular array of real numbers, got {values!r:.60}") from None
    if raw.dtype.kind in "USV":
        raise TypeError(f"{name} must be an array of real numbers, got {values!r:.60}")
    if np.iscomplexobj(raw):
        raise ValueError(f"{name} must be real, got complex values (take .real if the imaginary "
                         "parts are rounding errors)")
    try:
        arr = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of real numbers, got {values!r:.60}") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-dimensional array, got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values")
    return arr
