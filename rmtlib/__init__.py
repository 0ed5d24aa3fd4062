"""rmtlib: random matrix theory for deep neural networks.

The package is layered; each layer uses only the layers below it:

- core: spectral laws as first-class objects (`rmtlib.laws`, `rmtlib.pushforward`), free additive and
  multiplicative convolution by subordination (`rmtlib.free`), random entries and activations
  (`rmtlib.entries`, `rmtlib.activations`) and empirical spectra (`rmtlib.spectra`);
- `rmtlib.models`: one module per random-matrix model of the reproduced papers, its sampler and its theory;
- `rmtlib.experiments`: the chapters' Monte Carlo as pure ``(settings, seed)`` functions;
- `rmtlib.compendium`: the book machinery (checks, calibration, notebook execution, command line).

`rmtlib._numerics` holds the private numerical kernels. Importing the core and the models needs only
numpy, scipy and numba.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
