"""Benchmark of rmtlib's free convolutions: time and accuracy of ``law.density(x)``.

For each case the density is evaluated on 2,000 points inside the support and compared with an
independent reference; the same run times a plain-numpy solver (the one that produces the
reference) and, with ``--with-freealg``, the peer library freealg 0.12.2 in its own virtual
environment (``bench/.venv-freealg``, created by this script: freealg calls ``numpy.trapz``,
which numpy 2.4 removed).

Cases
-----
a. MP(1)^{[x] p}, p = 2, 3, 4 (Fuss-Catalan law of order p).
b. Semicircle(variance 1) [+] r equally weighted atoms on [-3, 3], r = 2, 8, 32, 64, 256.
c. MP(c) [x] PointMasses([1, 4]), c = 0.5, 2.
d. MP(c_1) [x] ... [x] MP(c_L), c = (0.3, 0.7, 1.0, 1.5, 0.5, 2.0)[:L], L = 2..6.

References (plain numpy, independent of rmtlib's subordination solver)
-----------------------------------------------------------------------
a, d. S-transforms multiply and S_MP(c)(w) = 1 / (1 + c w), so psi(z) = z G(z) - 1 solves the
      polynomial equation z psi = (1 + psi) prod_i (1 + c_i psi) (degree L + 1; for a, c_i = 1:
      z psi = (1 + psi)^(p+1)). All roots at every z (batched companion eigenvalues), the branch
      followed from psi ~ 1/z at z = x + 10i*scale down to the real axis by nearest-root
      continuation, then Newton-polished at y = 0.
b.    r = 2: the cubic G^3 - 2 z G^2 + (z^2 - a^2 + 1) G - z = 0 (atoms +-a), same continuation.
      all r: Newton on G = sum_j w_j / (z - s_j - G), continued in Im z (this is also the
      numpy baseline; for r = 2 it is cross-checked against the cubic).
c.    Newton on the Silverstein equation G = sum_j w_j / (z - t_j (1 - c + c z G)), continued
      in Im z.
d.    additionally: moments 0..4 of density + atoms (Chebyshev quadrature on the support)
      against ``law.moment`` (exact, from free cumulants / S-transform series).

Usage: ``NUMBA_NUM_THREADS=1 .venv/bin/python bench/free_convolution.py [--with-freealg]``.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
N_POINTS = 2000
TARGET_WARM_S = 0.05
RATIOS = (0.3, 0.7, 1.0, 1.5, 0.5, 2.0)
FREEALG_VERSION = "0.12.2"
FREEALG_VENV = HERE / ".venv-freealg"
FREEALG_TIMEOUT_S = 40.0
INTERIOR = 0.01  # accuracy "away from edges": farther than 1% of the interval length from an edge


# ------------------------------------------------------------------------------------ cases
def case_specs():
    """The benchmark cases as plain data (so that worker processes can rebuild them)."""
    specs = [{"name": f"fuss_catalan_p{p}", "family": "a", "ratios": [1.0] * p} for p in (2, 3, 4)]
    specs += [{"name": f"semicircle+{r}_atoms", "family": "b", "atoms": r} for r in (2, 8, 32, 64, 256)]
    specs += [{"name": f"mp{c:g}*[1,4]", "family": "c", "ratio": c, "t": [1.0, 4.0]} for c in (0.5, 2.0)]
    specs += [{"name": f"mp_product_L{L}", "family": "d", "ratios": list(RATIOS[:L])} for L in range(2, 7)]
    return specs


def atom_locations(spec):
    return np.linspace(-3.0, 3.0, spec["atoms"])


def build_law(spec):
    """The rmtlib law of a case (imports rmtlib lazily: the freealg worker has no rmtlib)."""
    from rmtlib import free, laws

    if spec["family"] in ("a", "d"):
        return free.multiply(*[laws.MarchenkoPastur(c) for c in spec["ratios"]])
    if spec["family"] == "b":
        return free.add(laws.Semicircle(variance=1.0), laws.PointMasses(atom_locations(spec)))
    return free.multiply(laws.MarchenkoPastur(spec["ratio"]), laws.PointMasses(spec["t"]))


def support_grid(support, n, *, chebyshev=False, hard_power=10):
    """n points inside the union of the support intervals (counts proportional to length).

    Uniform midpoints by default; with ``chebyshev`` the Chebyshev nodes x = a + (b-a)(1-cos t)/2
    and their quadrature weights (spectral for sqrt edges times a smooth function); an interval
    starting at 0 (a hard edge, density ~ x^-alpha) is mapped by x = b v^hard_power first.
    Returns (x, weights, distance to the nearest edge relative to the interval length).
    """
    lengths = np.array([b - a for a, b in support])
    counts = np.floor(n * lengths / lengths.sum()).astype(int)
    counts[np.argmax(lengths)] += n - counts.sum()
    xs, ws, rel = [], [], []
    for (a, b), k in zip(support, counts):
        u = (np.arange(k) + 0.5) / k
        if chebyshev:
            theta = np.pi * u
            u = (1.0 - np.cos(theta)) / 2.0
            du = np.sin(theta) * np.pi / (2.0 * k)
            if abs(a) <= 1e-6 * abs(b):  # hard edge at 0 (density ~ x^-alpha): x = b v^q smooths it
                du = hard_power * u ** (hard_power - 1) * du
                u = u**hard_power
            ws.append((b - a) * du)
        else:
            ws.append(np.full(k, (b - a) / k))
        xs.append(a + (b - a) * u)
        rel.append(np.minimum(u, 1.0 - u))
    return np.concatenate(xs), np.concatenate(ws), np.concatenate(rel)


# ------------------------------------------------------------------------- numpy references
def _heights(scale, ratio=0.6, floor=1e-11):
    """Heights of the continuation in Im z: 10 scale down to floor * scale, then 0."""
    k = int(np.ceil(np.log(floor / 10.0) / np.log(ratio)))
    return np.append(10.0 * scale * ratio ** np.arange(k + 1), 0.0)


def _all_roots(coeffs):
    """Roots of many polynomials at once (rows of highest-first coefficients), by companion eigenvalues."""
    c = coeffs / coeffs[:, :1]
    n, d = c.shape[0], c.shape[1] - 1
    companion = np.zeros((n, d, d), dtype=complex)
    companion[:, 0, :] = -c[:, 1:]
    companion[:, np.arange(1, d), np.arange(d - 1)] = 1.0
    return np.linalg.eigvals(companion)


def _polish(coeffs, root, steps=3):
    """Newton steps on each polynomial from its tracked root (Horner)."""
    for _ in range(steps):
        p = np.zeros_like(root)
        dp = np.zeros_like(root)
        for j in range(coeffs.shape[1]):
            dp = dp * root + p
            p = p * root + coeffs[:, j]
        ok = dp != 0
        root = np.where(ok, root - p / np.where(ok, dp, 1.0), root)
    return root


def track_polynomial_root(x, coeffs_at, start_at, scale):
    """Follow the Herglotz root of coeffs_at(z) from z = x + 10i*scale to z = x (nearest-root continuation).

    Returns the root at y = 0 and the number of points where the tracked root left the Herglotz
    side (Im of the root's G of the wrong sign) at some y > 0 (0 for a sound reference).
    """
    heights = _heights(scale, ratio=0.4)
    prev = start_at(x + 1j * heights[0])
    for y in heights:
        z = x + 1j * y
        roots = _all_roots(coeffs_at(z))
        prev = roots[np.arange(x.size), np.argmin(np.abs(roots - prev[:, None]), axis=1)]
    return _polish(coeffs_at(x + 0j), prev)


def mp_product_psi(ratios):
    """Coefficients (highest first) of (1 + psi) prod (1 + c_i psi) - z psi, as a function of z."""
    base = np.array([1.0, 1.0])
    for c in ratios:
        base = np.polymul(base, [c, 1.0])

    def coeffs_at(z):
        out = np.tile(base.astype(complex), (z.size, 1))
        out[:, -2] -= z
        return out

    return coeffs_at


def density_mp_product(x, ratios):
    """Reference density of MP(c_1) [x] ... [x] MP(c_L): all roots of the S-transform polynomial, tracked."""
    scale = float(np.prod([(1.0 + np.sqrt(c)) ** 2 for c in ratios]))
    psi = track_polynomial_root(x, mp_product_psi(ratios), lambda z: 1.0 / z, scale)
    return -np.imag((1.0 + psi) / x) / np.pi


def density_mp_product_newton(x, ratios):
    """The same polynomial solved by Newton continuation in Im z (the numpy baseline of cases a and d)."""
    base = np.array([1.0, 1.0])
    for c in ratios:
        base = np.polymul(base, [c, 1.0])
    dbase = np.polyder(base)

    def equation(z, psi):
        return np.polyval(base, psi) - z * psi, np.polyval(dbase, psi) - z

    psi, bad = newton_continuation(x, equation, float(np.prod([(1.0 + np.sqrt(c)) ** 2 for c in ratios])))
    return -np.imag((1.0 + psi) / x) / np.pi, bad


def density_cubic(x, a):
    """Reference density of semicircle [+] (delta_-a + delta_a) / 2 by its cubic in G."""

    def coeffs_at(z):
        one = np.ones_like(z)
        return np.stack([one, -2.0 * z, z * z - a * a + 1.0, -z], axis=1)

    g = track_polynomial_root(x, coeffs_at, lambda z: 1.0 / z, abs(a) + 2.0)
    return -np.imag(g) / np.pi


def newton_continuation(x, equation, scale, *, tol=1e-14, maxit=60):
    """Solve equation(z, G) -> (f, f') = 0 by Newton at heights 10 scale ... 1e-11 scale, 0 (vectorized in x).

    Returns G at y = 0 and the number of points that did not converge or left the Herglotz
    half-plane (Im G > 0) on the way.
    """
    heights = _heights(scale)
    g = 1.0 / (x + 1j * heights[0])
    bad = np.zeros(x.size, dtype=bool)
    for y in heights:
        z = x + 1j * y
        for _ in range(maxit):
            f, df = equation(z, g)
            step = f / df
            g = g - step
            if np.all(np.abs(step) <= tol * (1.0 + np.abs(g))):
                break
        else:
            bad |= np.abs(step) > 1e-10 * (1.0 + np.abs(g))
        bad |= g.imag > 0.0
    return g, int(bad.sum())


def density_deformed_wigner(x, locations):
    """Semicircle(1) [+] equally weighted atoms: G = mean_j 1 / (z - s_j - G)."""
    s = np.asarray(locations, dtype=float)
    w = 1.0 / s.size

    def equation(z, g):
        inv = 1.0 / (z[:, None] - s[None, :] - g[:, None])
        return g - w * inv.sum(axis=1), 1.0 - w * (inv * inv).sum(axis=1)

    g, bad = newton_continuation(x, equation, np.abs(s).max() + 2.0)
    return -g.imag / np.pi, bad


def density_silverstein(x, ratio, t, weights=None):
    """MP(c) [x] sum_j w_j delta_{t_j}: G = sum_j w_j / (z - t_j (1 - c + c z G))."""
    t = np.asarray(t, dtype=float)
    w = np.full(t.size, 1.0 / t.size) if weights is None else np.asarray(weights, dtype=float)
    c = ratio

    def equation(z, g):
        inv = 1.0 / (z[:, None] - t[None, :] * (1.0 - c + c * z * g)[:, None])
        return (g - (w * inv).sum(axis=1),
                1.0 - (c * z) * (w * t * inv * inv).sum(axis=1))

    g, bad = newton_continuation(x, equation, t.max() * (1.0 + np.sqrt(c)) ** 2)
    return -g.imag / np.pi, bad


def numpy_density(spec, x):
    """The plain-numpy solver of a case (the reference, and the numpy baseline). Returns (density, failures)."""
    if spec["family"] in ("a", "d"):
        return density_mp_product_newton(x, spec["ratios"])
    if spec["family"] == "b":
        return density_deformed_wigner(x, atom_locations(spec))
    return density_silverstein(x, spec["ratio"], spec["t"])


def reference_density(spec, x):
    """The reference of a case: polynomial roots (a, d; cubic for semicircle + 2 atoms), else the numpy solver."""
    if spec["family"] in ("a", "d"):
        return density_mp_product(x, spec["ratios"])
    if spec["family"] == "b" and spec["atoms"] == 2:
        return density_cubic(x, 3.0)
    return numpy_density(spec, x)[0]


# ------------------------------------------------------------------------------- measuring
def _timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def timed_median(fn, *args, repeats=5, budget_s=None):
    """Median and minimum wall time of fn(*args) over `repeats` calls (fewer when `budget_s` runs out)."""
    times = []
    for _ in range(repeats):
        dt, out = _timed(fn, *args)
        times.append(dt)
        if budget_s is not None and sum(times) > budget_s:
            break
    timed_median.last_min = float(np.min(times))
    return float(np.median(times)), len(times), out


def errors(values, reference, rel_edge):
    """Max relative error away from edges, max absolute error over max density, and zero/NaN counts."""
    values = np.asarray(values, dtype=float)
    interior = rel_edge >= INTERIOR
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(values - reference) / np.abs(reference)
    return {
        "rel": float(np.nanmax(np.where(interior, rel, 0.0))) if np.all(np.isfinite(values)) else float("nan"),
        "abs": float(np.nanmax(np.abs(values - reference)) / np.max(np.abs(reference))),
        "zeros": int(np.sum(values <= 0.0)),
        "nans": int(np.sum(~np.isfinite(values))),
        "off10": int(np.sum(~(np.abs(values - reference) <= 0.1 * np.abs(reference)))),
    }


def moment_error(law, *, kmax=4):
    """Max over k = 0..kmax of |integral x^k density + atoms - law.moment(k)| / law.moment(k)."""
    x, w, _ = support_grid(law.support, N_POINTS, chebyshev=True)
    d = law.density(x)
    worst = 0.0
    for k in range(kmax + 1):
        value = float(np.sum(w * d * x**k)) + sum(m * a**k for a, m in law.atoms)
        exact = law.moment(k)
        worst = max(worst, abs(value - exact) / abs(exact))
    return worst


def mp_product_edges(ratios):
    """Exact candidate edges of MP(c_1) [x] ... [x] MP(c_L): real z where P(psi) = Q(psi) - z psi has a double root.

    With Q(psi) = (1 + psi) prod (1 + c_i psi): P = P' = 0 gives z = Q'(psi) and
    Q(psi) - psi Q'(psi) = 0; the edges are z = Q'(psi) at the real roots psi of the latter.
    """
    q = np.array([1.0, 1.0])
    for c in ratios:
        q = np.polymul(q, [c, 1.0])
    dq = np.polyder(q)
    roots = np.roots(np.polysub(q, np.polymul([1.0, 0.0], dq)))
    real = roots[np.abs(roots.imag) <= 1e-9 * (1.0 + np.abs(roots))].real
    z = np.polyval(dq, real)
    return np.sort(z[z > 0])


def edge_error(law, ratios):
    """Max over the engine's support edges (other than a hard edge at 0) of the relative distance to the exact edge."""
    exact = mp_product_edges(ratios)
    worst = 0.0
    for e in law.edges:
        if e <= 1e-6 * law.edges.max():
            continue
        worst = max(worst, float(np.min(np.abs(exact - e)) / e))
    return worst


def fuss_catalan_moment_error(law, p, *, kmax=4):
    """law.moment(k) against the Fuss-Catalan numbers binom((p+1)k, k) / (pk + 1)."""
    from math import comb

    return max(abs(law.moment(k) - comb((p + 1) * k, k) / (p * k + 1)) / (comb((p + 1) * k, k) / (p * k + 1))
               for k in range(kmax + 1))


# ----------------------------------------------------------------------- worker processes
def cold_worker(grid_file, names):
    """Fresh process: import rmtlib, then the first density call of each named case, in order."""
    t0 = time.perf_counter()
    import rmtlib.free
    import rmtlib.laws  # noqa: F401

    out = {"import_s": time.perf_counter() - t0, "cases": {}}
    grids = np.load(grid_file)
    by_name = {s["name"]: s for s in case_specs()}
    for name in names:
        t_build, law = _timed(build_law, by_name[name])
        t_first, _ = _timed(law.density, grids[name])
        out["cases"][name] = {"build_s": t_build, "first_s": t_first}
    print(json.dumps(out))


def run_cold(grid_file, names, cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir), NUMBA_NUM_THREADS="1")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--cold-worker", str(grid_file), *names]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    if proc.returncode:
        raise RuntimeError("cold worker failed:\n" + proc.stderr[-3000:])
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_s"] = time.perf_counter() - t0
    return out


def freealg_worker(grid_file, name, out_file, repeats):
    """Inside the freealg venv: density of one case by freealg's closed-form distribution classes."""
    import freealg

    dist = freealg.distributions
    spec = {s["name"]: s for s in case_specs()}[name]
    x = np.load(grid_file)[name]
    if spec["family"] == "a":
        law = dist.FussCatalan(len(spec["ratios"]))
    elif spec["family"] == "b":
        locs = atom_locations(spec)
        law = dist.DeformedWigner(locs, np.full(locs.size, 1.0 / locs.size), sigma=1.0)
    elif spec["family"] == "c":
        law = dist.DeformedMarchenkoPastur(np.array(spec["t"]), np.full(2, 0.5), c=spec["ratio"])
    else:
        raise ValueError(name)
    t_first, d = _timed(law.density, x)
    times = [t_first]
    while len(times) < repeats and sum(times) < 5.0:  # slow cases: fewer repeats
        times.append(_timed(law.density, x)[0])
    warm = float(np.median(times[1:])) if len(times) > 1 else t_first
    np.save(out_file, np.asarray(d, dtype=float))
    print(json.dumps({"first_s": t_first, "warm_s": warm, "repeats": len(times) - 1,
                      "version": freealg.__version__, "class": type(law).__name__}))


def freealg_python():
    return FREEALG_VENV / "bin" / "python"


def setup_freealg():
    """Create bench/.venv-freealg with freealg==0.12.2 and numpy<2.4 (once). Returns (ok, message, seconds)."""
    t0 = time.perf_counter()
    py = freealg_python()
    check = [str(py), "-c", "import freealg, numpy; print(freealg.__version__, numpy.__version__)"]
    if py.exists():
        proc = subprocess.run(check, capture_output=True, text=True, check=False)
        if proc.returncode == 0 and proc.stdout.split()[0] == FREEALG_VERSION:
            return True, "existing venv: freealg {}, numpy {}".format(*tuple(proc.stdout.split())), 0.0
        shutil.rmtree(FREEALG_VENV)
    steps = [[sys.executable, "-m", "venv", str(FREEALG_VENV)],
             [str(py), "-m", "pip", "install", "-q", f"freealg=={FREEALG_VERSION}", "numpy<2.4"]]
    for cmd in steps:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode:
            return False, f"{' '.join(cmd[:4])} failed: {proc.stderr.strip()[-500:]}", time.perf_counter() - t0
    proc = subprocess.run(check, capture_output=True, text=True, check=False)
    if proc.returncode:
        return False, "freealg does not import: " + proc.stderr.strip()[-500:], time.perf_counter() - t0
    return True, "created venv: freealg {}, numpy {}".format(*tuple(proc.stdout.split())), time.perf_counter() - t0


def run_freealg(grid_file, spec, tmp, repeats):
    """Run freealg on one case in its venv; returns a dict (or the reason it has no numbers)."""
    if spec["family"] == "d":
        return {"status": "not computable: freealg 0.12.2 has no free multiplicative convolution of "
                          "Marchenko-Pastur laws with different ratios (FussCatalan is MP(1)^p only)"}
    out_file = Path(tmp) / f"freealg_{len(os.listdir(tmp))}.npy"
    cmd = [str(freealg_python()), str(Path(__file__).resolve()), "--freealg-worker", str(grid_file),
           spec["name"], str(out_file), str(repeats)]
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=FREEALG_TIMEOUT_S, env=env)
    except subprocess.TimeoutExpired:
        return {"status": f"timeout: no result within {FREEALG_TIMEOUT_S:g} s"}
    if proc.returncode:
        return {"status": "error: " + proc.stderr.strip().splitlines()[-1][:300]}
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    info["density"] = np.load(out_file)
    info["status"] = "ok"
    return info


# -------------------------------------------------------------------------------- the run
def versions():
    import numba

    out = {"python": platform.python_version(), "numpy": np.__version__, "numba": numba.__version__}
    try:
        import scipy

        out["scipy"] = scipy.__version__
    except ImportError:
        pass
    return out


def engine_state():
    """Which engine was measured: HEAD commit, whether the engine files differ from it, their hashes."""
    import hashlib

    files = ["rmtlib/free.py", "rmtlib/_numerics/subordination.py", "rmtlib/laws.py"]
    out = {f: hashlib.sha256((ROOT / f).read_bytes()).hexdigest()[:12] for f in files}
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False, cwd=ROOT)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", *files], capture_output=True, text=True, check=False,
                               cwd=ROOT)
        out["git_head"] = head.stdout.strip()
        out["modified_since_head"] = bool(dirty.stdout.strip())
    except OSError:
        pass
    return out


def machine(load):
    return {"nproc": os.cpu_count(), "platform": platform.platform(), "processor": platform.machine(),
            "load_average_1min_at_start": load,
            "NUMBA_NUM_THREADS": os.environ.get("NUMBA_NUM_THREADS", "(unset)")}


def fmt(v, digits=3):
    if isinstance(v, float):
        if np.isnan(v):
            return "nan"
        return f"{v:.{digits}g}" if abs(v) < 1e4 else f"{v:.2e}"
    return "-" if v is None else str(v)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--with-freealg", action="store_true", help="also run freealg 0.12.2 in bench/.venv-freealg")
    parser.add_argument("--repeats", type=int, default=5, help="warm repeats (median reported), >= 5")
    parser.add_argument("--cold-each", action="store_true",
                        help="measure cold (empty numba cache) in a separate fresh process per case (slow: "
                             "one JIT compile per case)")
    parser.add_argument("--only", nargs="*", help="run only these case names")
    parser.add_argument("--output", default=str(HERE / "results.json"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")

    specs = [s for s in case_specs() if not args.only or s["name"] in args.only]
    freealg_setup = None
    if args.with_freealg:
        ok, message, seconds = setup_freealg()
        freealg_setup = {"ok": ok, "message": message, "setup_s": seconds}
        print(f"freealg: {message} ({seconds:.1f} s)", flush=True)

    with tempfile.TemporaryDirectory(prefix="rmtlib-bench-") as tmp:
        t_setup = time.perf_counter()
        laws_ = {s["name"]: build_law(s) for s in specs}
        grids = {}
        for s in specs:
            x, _, rel = support_grid(laws_[s["name"]].support, N_POINTS)
            grids[s["name"]] = (x, rel)
        grid_file = Path(tmp) / "grids.npz"
        np.savez(grid_file, **{k: v[0] for k, v in grids.items()})
        print(f"laws and supports: {time.perf_counter() - t_setup:.1f} s", flush=True)

        # cold: fresh processes; an empty cache dir (JIT compile), then the cache it filled
        names = [s["name"] for s in specs]
        empty = Path(tmp) / "numba-cache"
        empty.mkdir()
        if args.cold_each:
            cold = {}
            for name in names:
                shutil.rmtree(empty)
                empty.mkdir()
                cold[name] = run_cold(grid_file, [name], empty)["cases"][name]
            compile_info = None
        else:
            first = run_cold(grid_file, names, empty)
            cached = run_cold(grid_file, names[:1], empty)
            cold = first["cases"]
            compile_info = {
                "case": names[0],
                "empty_cache_first_call_s": first["cases"][names[0]]["first_s"],
                "cached_first_call_s": cached["cases"][names[0]]["first_s"],
                "import_s": first["import_s"],
            }
            compile_info["jit_compile_s"] = (compile_info["empty_cache_first_call_s"]
                                             - compile_info["cached_first_call_s"])
        print(f"cold processes: {time.perf_counter() - started:.1f} s so far", flush=True)

        rows, raw = [], {}
        freealg_timed_out = None
        for s in specs:
            name = s["name"]
            law = laws_[name]
            x, rel = grids[name]
            law.density(x)  # make sure it is warm in this process
            warm, _n_rep, ours = timed_median(law.density, x, repeats=max(args.repeats, 5))
            best = timed_median.last_min
            t_np, _n_np, (dens_np, np_fail) = timed_median(numpy_density, s, x, repeats=max(args.repeats, 5),
                                                          budget_s=6.0)
            ref = reference_density(s, x)
            e_ours = errors(ours, ref, rel)
            e_np = errors(dens_np, ref, rel)
            if compile_info is None:
                cold_s = cold[name]["first_s"]
            elif name == names[0]:
                cold_s = compile_info["empty_cache_first_call_s"]
            else:  # the kernels are shared by every case: compile once + this case's first call
                cold_s = compile_info["jit_compile_s"] + cold[name]["first_s"]
            row = {
                "case": name, "family": s["family"], "points": int(x.size),
                "support_intervals": len(law.support),
                "ours_cold_s": cold_s, "ours_first_call_s": cold[name]["first_s"],
                "ours_warm_s": warm, "ours_min_s": best, "numpy_s": t_np, "ours/numpy": warm / t_np,
                "ours_rel_err": e_ours["rel"], "ours_abs_err": e_ours["abs"],
                "ours_zero_or_nan": e_ours["zeros"] + e_ours["nans"],
                "ours_points_off_10pct": e_ours["off10"],
                "numpy_rel_err": e_np["rel"], "numpy_failures": np_fail,
                "target_50ms": "ok" if warm <= TARGET_WARM_S else "MISS",
            }
            if s["family"] == "b" and s["atoms"] == 2:
                row["reference"] = "cubic"
            elif s["family"] in ("a", "d"):
                row["reference"] = "S-transform polynomial"
            else:
                row["reference"] = "numpy Newton continuation"
            if s["family"] in ("a", "d"):
                row["moment_err_0to4"] = moment_error(law)
                row["ours_edge_rel_err"] = edge_error(law, s["ratios"])
            if s["family"] == "a":
                row["series_vs_fuss_catalan"] = fuss_catalan_moment_error(law, len(s["ratios"]))
            if args.with_freealg:
                if s["family"] == "b" and freealg_timed_out:
                    fa = {"status": f"not run: freealg timed out at r = {freealg_timed_out} atoms and its "
                                    "cost grows with r"}
                elif freealg_setup["ok"]:
                    fa = run_freealg(grid_file, s, tmp, max(args.repeats, 5))
                    if s["family"] == "b" and fa["status"].startswith("timeout"):
                        freealg_timed_out = s["atoms"]
                else:
                    fa = {"status": "not installed: " + freealg_setup["message"]}
                row["freealg_status"] = fa["status"]
                if fa["status"] == "ok":
                    e_fa = errors(fa["density"], ref, rel)
                    _, wq, _ = support_grid(law.support, N_POINTS)
                    row.update({
                        "freealg_first_s": fa["first_s"], "freealg_warm_s": fa["warm_s"],
                        "freealg_repeats": fa["repeats"], "ours/freealg": warm / fa["warm_s"],
                        "freealg_rel_err": e_fa["rel"], "freealg_abs_err": e_fa["abs"],
                        "freealg_zero_points": e_fa["zeros"],
                        "freealg_points_off_10pct": e_fa["off10"],
                        "freealg_mass_on_grid": float(np.sum(wq * fa["density"])),
                        "ref_mass_on_grid": float(np.sum(wq * ref)),
                        "freealg_mean_on_grid": float(np.sum(wq * x * fa["density"])),
                        "ref_mean_on_grid": float(np.sum(wq * x * ref)),
                    })
            rows.append(row)
            raw[name] = ours
            print(f"{name:24s} warm {fmt(warm)} s  numpy {fmt(t_np)} s  err {fmt(e_ours['rel'])}"
                  + (f"  freealg {row['freealg_status'][:40]}" if args.with_freealg else ""), flush=True)

    total = time.perf_counter() - started
    misses = [r["case"] for r in rows if r["target_50ms"] == "MISS"]
    result = {
        **split_tables(rows),
        "target_warm_s_per_2000_points": TARGET_WARM_S,
        "cases_missing_target": misses,
        "cold_measurement": compile_info if compile_info else "one fresh process per case (--cold-each)",
        "freealg": freealg_setup if freealg_setup else "not run (pass --with-freealg)",
        "versions": versions(),
        "engine": engine_state(),
        "machine": machine(load_at_start),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": " ".join([Path(sys.executable).name, "bench/free_convolution.py", *(argv or sys.argv[1:])]),
        "total_run_s": total,
        "load_average_1min_at_end": os.getloadavg()[0],
    }
    Path(args.output).write_text(json.dumps(result, indent=1) + "\n")
    print_table(rows, args.with_freealg)
    print(f"\nmissing the {TARGET_WARM_S * 1e3:g} ms target: {', '.join(misses) or 'none'}")
    print(f"total {total:.1f} s; wrote {args.output}")


SUMMARY_KEYS = ("case", "ours_cold_s", "ours_first_call_s", "ours_warm_s", "ours_min_s", "numpy_s", "ours/numpy",
                "freealg_warm_s", "ours/freealg", "ours_rel_err", "numpy_rel_err", "freealg_rel_err", "target_50ms")
ACCURACY_KEYS = ("case", "family", "reference", "points", "support_intervals", "ours_rel_err", "ours_abs_err",
                 "ours_zero_or_nan", "ours_points_off_10pct", "numpy_rel_err", "numpy_failures",
                 "moment_err_0to4", "ours_edge_rel_err", "series_vs_fuss_catalan")


def split_tables(rows):
    """The rows as three tables (the book page shows each): summary, accuracy details, freealg details."""
    def pick(keep):
        return [{"case": r["case"], **{k: v for k, v in r.items() if k != "case" and keep(k)}} for r in rows]

    out = {"cases": pick(lambda k: k in SUMMARY_KEYS), "accuracy": pick(lambda k: k in ACCURACY_KEYS)}
    if any("freealg_status" in r for r in rows):
        out["freealg_details"] = pick(lambda k: "freealg" in k or k.startswith("ref_"))
    return out


def print_table(rows, with_freealg):
    cols = [("case", "case"), ("ours_cold_s", "cold s"), ("ours_warm_s", "warm s"), ("ours_min_s", "min s"), ("numpy_s", "numpy s"),
            ("ours/numpy", "ours/np"), ("ours_rel_err", "ours rel err"), ("numpy_rel_err", "np rel err")]
    if with_freealg:
        cols += [("freealg_warm_s", "freealg s"), ("ours/freealg", "ours/fa"), ("freealg_rel_err", "fa rel err")]
    cols += [("target_50ms", "50ms")]
    widths = [max(len(h), 24 if k == "case" else 10) for k, h in cols]
    print()
    print("  ".join(h.ljust(w) for (_, h), w in zip(cols, widths)))
    for r in rows:
        print("  ".join(fmt(r.get(k)).ljust(w) for (k, _), w in zip(cols, widths)))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--cold-worker":
        cold_worker(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) > 1 and sys.argv[1] == "--freealg-worker":
        freealg_worker(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        main()
