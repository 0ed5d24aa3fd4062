"""Private numerical machinery of rmtlib: subordination kernels (numba), the algebraic root
tracker, quadrature and CDF tables, Gaussian quadrature rules, power series and validation.

Nothing here is public API; the core modules (`rmtlib.laws`, `rmtlib.free`, ...) build on it.
"""
