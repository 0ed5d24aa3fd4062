"""Figures of the chapters, one module per chapter."""
