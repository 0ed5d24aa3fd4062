"""One module per random-matrix model of the four reproduced papers: its sampler and its theory.

A model knows nothing about sweeps, calibration or the book (see `rmtlib.experiments`).
"""
