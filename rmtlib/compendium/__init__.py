"""The book machinery: checks, calibration, notebook execution, the command line, generated
pages, plotting, and the profiles and calibration data shipped as package data.
"""
