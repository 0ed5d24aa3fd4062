"""Spectra through layers of a deep random network f(W_L ... f(W_1 X)) (Pennington & Worah, NeurIPS 2017):
the data covariance after each layer, and the family of activations f_alpha.

Entry points: `alpha_family`, the sampler `sample_layers`, and `layer_laws` (the law after each of
several layers, a recursion on :func:`rmtlib.free.multiply`, book/derivations.md, eq. (pw-layers-recursion)).
"""

import numpy as np

from rmtlib import activations, entries, free
from rmtlib._numerics import validate as _validate
from rmtlib.laws import MarchenkoPastur, PointMasses, SpectralLaw
from rmtlib.models.nonlinear import _centred_phi, eta_zeta

__all__ = ["GramFromKernel", "alpha_family", "layer_laws", "sample_layers"]


def _gram_eigenvalues(Y):
    return np.linalg.eigvalsh(Y @ Y.T / Y.shape[1])


def alpha_family(alpha):
    """The activation f_alpha interpolating between linear (alpha = -1) and zeta = 0 (alpha = 1).

    Parameters
    ----------
    alpha : float
        In [-1, 1].

    Returns
    -------
    Activation
        Centred, with eta = 1 and zeta from 1 (alpha = -1) to 0 (alpha = 1).

    Notes
    -----
    f_alpha(x) = ([x]_+ + alpha [-x]_+ - (1 + alpha)/sqrt(2 pi)) / sqrt(v) with
    v = (1 + alpha^2)/2 - (1 + alpha)^2/(2 pi), so that eta = 1 and zeta = ((1 - alpha)^2 / 4) / v
    (book/derivations.md, eq. (pw-layers-alpha)).
    """
    alpha = _validate.real("alpha", alpha, low=-1.0, high=1.0)
    mean = (1.0 + alpha) / np.sqrt(2.0 * np.pi)
    norm = np.sqrt((1.0 + alpha**2) / 2.0 - (1.0 + alpha) ** 2 / (2.0 * np.pi))

    def f(x):
        x = np.asarray(x, dtype=float)
        return (np.maximum(x, 0.0) + alpha * np.maximum(-x, 0.0) - mean) / norm

    def df(x):
        return np.where(np.asarray(x) > 0, 1.0, alpha) / norm

    return activations.Activation(f"f_alpha({alpha:g})", f, df, (0.0,),
                                  "([x]_+ + alpha [-x]_+ - (1 + alpha)/sqrt(2 pi)) / norm, eta = 1")


def sample_layers(activation, *, n, m, depth, rng, w_entries="gaussian", center=False):
    """Spectra of the data covariance Y^l Y^l^T / m through `depth` layers of width n.

    Parameters
    ----------
    activation : str, Activation, pair or callable
        Centred; normalise it to eta = 1 (e.g. `alpha_family`) to keep the scale.
    n, m : int
        Width and number of data points; Y^0 = X is n x m standard Gaussian.
    depth : int
        Number of layers L >= 1; Y^l = f(W^l Y^(l-1)), fresh W^l (n x n, variance 1/n).
    rng : Generator or int
        Random source (a seed is turned into a Generator).
    w_entries : str or (str, dict)
        Entry law of the weights (unit variance, scaled by 1/sqrt(n)).
    center : bool
        Subtract E f(xi) from an uncentred f (otherwise it is refused, as by `eta_zeta`).

    Returns
    -------
    list of ndarray
        depth + 1 spectra (layer 0 is the input).

    Notes
    -----
    The propagation Y^l = f(W^l Y^(l-1)) of the data through a deep random network, whose data
    covariance Pennington & Worah (NeurIPS 2017) follow through depth; its limit is `layer_laws`.
    """
    n, m = _validate.dimension("n", n), _validate.dimension("m", m)
    depth = _validate.integer("depth", depth, low=1, high=_validate.MAX_DEPTH)
    f = _centred_phi(activation, sigma=1.0, center=_validate.choice("center", center, (True, False)))
    gen = _validate.as_generator(rng)
    wname, wpar = entries.resolve(w_entries, name="w_entries")
    Y = gen.standard_normal((n, m))
    out = [_gram_eigenvalues(Y)]
    for _ in range(depth):
        W = entries.sample(wname, (n, n), rng=gen, **wpar) / np.sqrt(n)
        Y = np.asarray(f(W @ Y), dtype=float)
        out.append(_gram_eigenvalues(Y))
    return out


class GramFromKernel(SpectralLaw):
    """Law of Y Y^T / m (n x n) from the law of K = Y^T Y / n (m x m), lam = m / n.

    Parameters
    ----------
    kernel_law : SpectralLaw
        Law of K.
    lam : float
        m / n.

    Notes
    -----
    Same non-zero eigenvalues up to the factor 1/lam: G_M(z) = lam^2 G_K(lam z) - (lam - 1)/z,
    rho_M(x) = lam^2 rho_K(lam x), atom at 0: 1 - lam (1 - mu_K({0}))
    (book/derivations.md, eq. (pw-layers-gram-kernel)).
    """

    def __init__(self, kernel_law, *, lam):
        self.kernel = _validate.instance("kernel_law", kernel_law, SpectralLaw)
        self.lam = _validate.positive("lam", lam)
        if self.lam * (1.0 - kernel_law.atom_mass(0.0)) > 1.0 + 1e-12:
            raise ValueError(f"lam = {self.lam:g} needs an atom of mass >= 1 - 1/lam at 0 in kernel_law "
                             "(rank of K = Y^T Y / n is at most n)")

    def _stieltjes(self, z):
        z = np.asarray(z, dtype=complex)
        return self.lam**2 * self.kernel.stieltjes(self.lam * z) - (self.lam - 1.0) / z

    def _density(self, x):
        return self.lam**2 * self.kernel.density(self.lam * np.asarray(x, dtype=float))

    def _atoms(self):
        mass = 1.0 - self.lam * (1.0 - self.kernel.atom_mass(0.0))
        return ((0.0, mass),) if mass > 1e-12 else ()

    def _support(self):
        return [(lo / self.lam, hi / self.lam) for lo, hi in self.kernel.support]

    def __repr__(self):
        return f"GramFromKernel({self.kernel!r}, lam={self.lam:g})"


def layer_laws(activation, *, phi, depth):
    """Limiting laws of Y^l Y^l^T / m for l = 0..depth (width n, m = n / phi data points).

    Parameters
    ----------
    activation : str, Activation, pair or callable
        Centred and normalised to eta = 1 (e.g. `alpha_family`).
    phi : float
        n / m.
    depth : int
        Number of layers L >= 1.

    Returns
    -------
    list of SpectralLaw
        depth + 1 laws; entry 0 is MP(phi), the input's, entry 1 equals `gram_law` (eta = 1, psi = 1).

    Notes
    -----
    In the m x m frame K^l = Y^l^T Y^l / n the recursion
    law(K^l) = MP(m/n) box-times law((1 - zeta) + zeta K^(l-1)), K^0 ~ MP(m/n)
    (book/derivations.md, eq. (pw-layers-recursion); the form of the recursion of Fan & Wang,
    NeurIPS 2020): the rows of Y^l are i.i.d. given Y^(l-1) with covariance ~ (1 - zeta) I + zeta K^(l-1).
    Each layer is one `rmtlib.free.multiply` with the previous law discretized; `GramFromKernel`
    converts to the n x n frame. With zeta = 0 every layer is MP(phi) (isospectral).
    """
    phi = _validate.positive("phi", phi)
    depth = _validate.integer("depth", depth, low=1, high=_validate.MAX_DEPTH)
    eta, zeta = eta_zeta(activation)
    if abs(eta - 1.0) > 1e-8:
        raise ValueError(f"activation must be normalised to eta = 1 for the layer recursion, got eta = {eta:.6g}")
    lam = 1.0 / phi
    wishart = MarchenkoPastur(lam)
    out = [MarchenkoPastur(phi)]
    kernel = wishart
    for _ in range(depth):
        if zeta == 0.0:
            out.append(MarchenkoPastur(phi))
            continue
        loc, w = kernel.discretize()
        kernel = free.multiply(wishart, PointMasses((1.0 - zeta) + zeta * loc, w))
        out.append(GramFromKernel(kernel, lam=lam))
    return out
