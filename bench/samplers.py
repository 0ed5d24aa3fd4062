"""Each chapter's main sampler against the bare numpy/LAPACK calls it needs, in the same run.

For every sampler the baseline draws the same Gaussian matrices with the same generator, does the
same matrix products and the same one LAPACK call (``numpy.linalg.svd(compute_uv=False)`` or
``numpy.linalg.eigvalsh``), and nothing else: no validation, no activation tables, no copies. The
Jacobian sampler is also timed against the strictest baseline, its matrix products and one SVD of
matrices drawn beforehand (the draws then count against the sampler). The
two are timed in interleaved repetitions (sampler, baseline, sampler, ...) with one BLAS thread, and
the ratio of the medians is reported. A sampler is as cheap as its linear algebra when the ratio
is at most 1.2.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/samplers.py            # n = 1000, 7 repetitions
    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/samplers.py --n 400 --repeats 5

Prints a table and writes ``bench/samplers.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from rmtlib.experiments import toolkit
from rmtlib.models import deformed, jacobian, nonlinear, products

LIMIT = 1.2
"""The largest acceptable ratio of a sampler's time to its bare linear algebra."""


def _jacobian_bare(n, depth, rng):
    """L Gaussian n x n draws, L - 1 products and tanh' scalings, one SVD (values only)."""
    x = rng.standard_normal(n)
    jac = None
    for _ in range(depth):
        w = rng.standard_normal((n, n))
        w *= 1.5 / np.sqrt(n)
        h = w @ x
        d = 1.0 - np.tanh(h) ** 2
        jac = w if jac is None else w @ jac
        jac *= d[:, None]
        x = np.tanh(h)
    return np.linalg.svd(jac, compute_uv=False) ** 2


def _products_and_svd(n, depth):
    """The issue's strictest baseline: L - 1 products of pre-drawn matrices and one SVD, no draws."""
    pre = np.random.default_rng(0).standard_normal((depth, n, n)) * (1.5 / np.sqrt(n))

    def bare(rng):
        jac = pre[0]
        for w in pre[1:]:
            jac = w @ jac
        return np.linalg.svd(jac, compute_uv=False) ** 2

    return bare


def _wishart_bare(n, rng):
    x = rng.standard_normal((n, 2 * n))
    return np.linalg.eigvalsh(x @ x.T / (2 * n))


def _gram_bare(n, rng):
    w = rng.standard_normal((n, n)) / np.sqrt(n)
    y = np.tanh(w @ rng.standard_normal((n, 2 * n)))
    return np.linalg.eigvalsh(y @ y.T / (2 * n))


def _chain_bare(n, rng):
    a = rng.standard_normal((n, n)) / np.sqrt(n)
    b = rng.standard_normal((n, n)) / np.sqrt(n)
    return np.linalg.svd(a @ b, compute_uv=False) ** 2


def _wigner_bare(n, rng):
    x = rng.standard_normal((n, n))
    return np.linalg.eigvalsh((x + x.T) / np.sqrt(2 * n))


def cases(n):
    """``{name: (sampler(rng), baseline(rng))}`` for each chapter's main sampler at size n."""
    return {
        "toolkit: sample_case mp_half": (lambda g: toolkit.sample_case("mp_half", n, rng=g),
                                         lambda g: _wishart_bare(n, g)),
        "jacobian: sample_jacobian_spectrum tanh L=3": (
            lambda g: jacobian.sample_jacobian_spectrum("tanh", depth=3, widths=n, sigma_w=1.5, sigma_b=0.2, rng=g),
            lambda g: _jacobian_bare(n, 3, g)),
        "jacobian, against products + svd only": (
            lambda g: jacobian.sample_jacobian_spectrum("tanh", depth=3, widths=n, sigma_w=1.5, sigma_b=0.2, rng=g),
            _products_and_svd(n, 3)),
        "nonlinear: sample_gram tanh": (
            lambda g: nonlinear.sample_gram("tanh", n0=n, n1=n, m=2 * n, rng=g), lambda g: _gram_bare(n, g)),
        "products: sample_wishart_chain (n, n, n)": (
            lambda g: products.sample_wishart_chain((n, n, n), rng=g), lambda g: _chain_bare(n, g)),
        "deformed: eigvalsh(sample_wigner)": (
            lambda g: np.linalg.eigvalsh(deformed.sample_wigner(n, rng=g)), lambda g: _wigner_bare(n, g)),
    }


def _time(func, seed):
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    func(rng)
    return time.perf_counter() - start


def measure(sampler, baseline, repeats):
    """Medians of interleaved timings (one warm-up each) and their ratio."""
    _time(sampler, 0), _time(baseline, 0)
    ours, bare = [], []
    for r in range(repeats):
        ours.append(_time(sampler, r + 1))
        bare.append(_time(baseline, r + 1))
    a, b = statistics.median(ours), statistics.median(bare)
    return {"sampler_s": round(a, 4), "bare_s": round(b, 4), "ratio": round(a / b, 3)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--only", default=None, help="run the cases whose name contains this text")
    parser.add_argument("--output", default=str(Path(__file__).with_name("samplers.json")))
    args = parser.parse_args(argv)
    rows = {}
    with threadpool_limits(1, user_api="blas"):
        for name, (sampler, baseline) in cases(args.n).items():
            if args.only and args.only not in name:
                continue
            rows[name] = measure(sampler, baseline, args.repeats)
            row = rows[name]
            verdict = "ok" if row["ratio"] <= LIMIT else f"above {LIMIT}"
            print(f"{name:<46} {row['sampler_s']:8.3f} s {row['bare_s']:8.3f} s  ratio {row['ratio']:.2f}  {verdict}",
                  flush=True)
    Path(args.output).write_text(json.dumps({"n": args.n, "repeats": args.repeats, "blas_threads": 1,
                                             "limit": LIMIT, "cases": rows}, indent=2) + "\n")
    return 0 if all(r["ratio"] <= LIMIT for r in rows.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
