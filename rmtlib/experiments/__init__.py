"""The chapters' Monte Carlo: pure ``(settings, seed) -> results`` functions, their statistics,
and one mapper for sweeps. An experiment knows nothing about notebooks or the book.
"""
