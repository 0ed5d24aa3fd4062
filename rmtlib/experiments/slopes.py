"""Convergence rates: the slope of a log-log fit with its confidence interval.

Convergence is shown by a fitted slope with an interval, never by asking noisy
points to decrease monotonically; every chapter uses this one fit.
"""

import numpy as np
from scipy import stats


def fit_loglog_slope(x, y, *, level=0.95):
    """Least-squares slope of ``log y`` against ``log x`` with a t confidence interval.

    Parameters
    ----------
    x, y : array_like
        Positive data (repeated ``x`` allowed: one point per Monte Carlo draw, so that the
        scatter at each x carries the Monte Carlo error).
    level : float
        Confidence level of the interval.

    Returns
    -------
    dict
        ``slope``, ``intercept``, ``low``, ``high`` (slope -+ t_{(1+level)/2, N-2} standard
        errors of ordinary least squares on the N points), ``stderr``.
    """
    lx, ly = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    if lx.size != ly.size or lx.size < 3 or np.ptp(lx) == 0:
        raise ValueError("need one y per x, at least 3 points and two distinct x values")
    res = stats.linregress(lx, ly)
    t = stats.t.ppf(0.5 + level / 2, lx.size - 2)
    return {"slope": float(res.slope), "intercept": float(res.intercept),
            "low": float(res.slope - t * res.stderr), "high": float(res.slope + t * res.stderr),
            "stderr": float(res.stderr)}
