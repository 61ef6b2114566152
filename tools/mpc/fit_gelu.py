#!/usr/bin/python3
"""Fit the piecewise GeLU polynomials used by protocols/activations.cpp (least squares, numpy).

GeLU(x) = 0.5 x (1 + erf(x / sqrt 2)) is approximated, PUMA-style, as
  0                      for x < -4
  a degree-3 polynomial  on [-4, -1.95)
  a degree-6 polynomial  on [-1.95, 1)
  a degree-4 polynomial  on [1, 3]
  x                      for x > 3
This script prints the coefficients (highest degree first) and the max error of each piece;
the constants in activations.cpp are its output. Run with Debian's python3 (python3-numpy).
"""
import math

import numpy as np


def gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


for lo, hi, deg in [(-4.0, -1.95, 3), (-1.95, 1.0, 6), (1.0, 3.0, 4)]:
    xs = np.linspace(lo, hi, 20001)
    # Fit on a scaled domain (well conditioned), then convert to plain power coefficients.
    coef = np.polynomial.Polynomial.fit(xs, gelu(xs), deg).convert().coef[::-1]
    err = np.max(np.abs(np.polyval(coef, xs) - gelu(xs)))
    print(f"[{lo}, {hi}) degree {deg}: " + ", ".join(f"{c:.16e}" for c in coef) + f"   max error {err:.2e}")
