"""rmtlib: random matrix theory for deep neural networks.

Spectral laws as first-class objects (`rmtlib.laws`), free additive and
multiplicative convolution by subordination (`rmtlib.free`), random entries and
empirical spectra (`rmtlib.entries`, `rmtlib.spectra`), and one module per
reproduced paper (`jacobian`, `products`, `deformed`, `nonlinear`).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
