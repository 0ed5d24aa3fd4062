"""The benchmarks page, generated from ``bench/results.json`` (written by ``bench/free_convolution.py``).

Known entries become tables with human headers and units (times in ms, ratios, relative errors); a
value that is the same on every row is said once above its table; entries this module does not know
are listed as they are, so that a new benchmark still shows up.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from rmtlib.compendium.formatting import format_value

__all__ = ["FAMILIES", "benchmarks_page"]

FAMILIES = {
    "a": "MP(1) ⊠ … ⊠ MP(1), p copies (Fuss–Catalan law of order p)",
    "b": "semicircle ⊞ r equally weighted atoms on [−3, 3]",
    "c": "MP(c) ⊠ ½(δ₁ + δ₄)",
    "d": "MP(c₁) ⊠ … ⊠ MP(c_L), c = (0.3, 0.7, 1, 1.5, 0.5, 2)[:L]",
}
"""What each family of cases computes (see ``bench/README.md``)."""

_KNOWN = {"cases", "accuracy", "freealg_details", "target_warm_s_per_2000_points", "cases_missing_target",
          "cold_measurement", "freealg", "versions", "engine", "machine", "date", "command", "total_run_s",
          "load_average_1min_at_end"}


def _ms(seconds) -> str:
    if seconds is None:
        return ""
    ms = 1000 * float(seconds)
    return f"{ms:,.0f}" if ms >= 1e4 else format_value(ms)


def _num(x) -> str:
    return "" if x is None else format_value(x)


def _esc(text) -> str:
    return str(text).replace("|", r"\|").replace("\n", " ")


def _table(header, rows) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return out + ["| " + " | ".join(_esc(c) for c in row) + " |" for row in rows]


def _parameter(case: str) -> str:
    match = re.search(r"p(\d+)$|\+(\d+)_atoms|L(\d+)$|^mp([\d.]+)", case)
    if not match:
        return ""
    p, r, L, c = match.groups()
    return f"p = {p}" if p else f"r = {r}" if r else f"L = {L}" if L else f"c = {c}"


def _cases(data, family) -> list[str]:
    by_family = {}
    for r in data["cases"]:
        by_family.setdefault(family.get(r["case"], ""), []).append(r["case"])
    rows = [[FAMILIES.get(f, "(unknown family)"), ", ".join(f"`{c}`" for c in cases),
             ", ".join(p for p in (_parameter(c) for c in cases) if p)]
            for f, cases in by_family.items()]
    return ["## Cases", "", "Each case is the density of one free convolution on 2,000 points inside its "
            "support. The references are computed independently of rmtlib's subordination solver "
            "(polynomial roots for products of Marchenko–Pastur laws, Newton continuations otherwise; "
            "see `bench/README.md`).", "", *_table(["law", "cases", "parameters"], rows), ""]


def _speed(data, family) -> list[str]:
    rows = data["cases"]
    freealg = any(r.get("freealg_warm_s") is not None for r in rows)
    header = ["case", "rmtlib (ms)", "numpy (ms)", "rmtlib / numpy"]
    header += ["freealg (ms)", "rmtlib / freealg"] if freealg else []
    table = []
    for r in rows:
        row = [f"`{r['case']}`", _ms(r.get("ours_warm_s")), _ms(r.get("numpy_s")), _num(r.get("ours/numpy"))]
        if freealg:
            row += [_ms(r.get("freealg_warm_s")) or "no result", _num(r.get("ours/freealg"))]
        table.append(row)
    target = data.get("target_warm_s_per_2000_points")
    missing = data.get("cases_missing_target")
    lines = ["## Speed", "",
             "Time of one call of `law.density(x)` on 2,000 points inside the support, the law already "
             "built and evaluated once (median of at least 5 calls), against the same Newton "
             "continuation written in plain numpy and, where it computes the same law, the peer library "
             "freealg. A ratio below 1 means rmtlib is faster."]
    if target is not None and missing is not None:
        lines[-1] += (f" Target: {_ms(target)} ms per call; "
                      + ("every case meets it." if not missing else
                         "cases over it: " + ", ".join(f"`{m}`" for m in missing) + "."))
    return lines + ["", *_table(header, table), ""]


def _accuracy(data) -> list[str]:
    details = {r["case"]: r for r in data.get("freealg_details", [])}
    header = ["case", "reference", "rmtlib error", "numpy error", "freealg error"]
    table = [[f"`{r['case']}`", r.get("reference", ""), _num(r.get("ours_rel_err")), _num(r.get("numpy_rel_err")),
              _num(details.get(r["case"], {}).get("freealg_rel_err")) or "no result"]
             for r in data["accuracy"]]
    points = {r.get("points") for r in data["accuracy"]}
    lines = ["## Accuracy", "",
             "Largest relative error |ρ − ρ_ref| / ρ_ref of the density over the grid points farther than "
             "1 % of the interval length from an edge"
             + (f" ({points.pop():,} points per case)" if len(points) == 1 else "")
             + ", against a reference computed independently of rmtlib's subordination solver (see "
             "`bench/README.md`). A relative error near or above 1 means a different density, not a "
             "less precise one.", "", *_table(header, table), ""]
    far = [(case, d) for case, d in details.items() if (d.get("freealg_rel_err") or 0) > 0.1]
    if far:
        mass = "; ".join(f"`{case}`: mass {format_value(d['freealg_mass_on_grid'])} against "
                         f"{format_value(d['ref_mass_on_grid'])}, mean {format_value(d['freealg_mean_on_grid'])} "
                         f"against {format_value(d['ref_mean_on_grid'])}" for case, d in far
                         if d.get("freealg_mass_on_grid") is not None)
        lines += [f"**Why freealg's errors are large in {len(far)} cases.** The error is a maximum over "
                  "points of a ratio, so it is large where freealg's density departs from the reference "
                  "where the reference is small. Its density's mass and mean on the same grid (midpoint "
                  f"rule) against the reference's: {mass}. freealg is evaluated at its default height "
                  "above the real axis, as a user gets it.", ""]
    failed = [(case, d["freealg_status"]) for case, d in details.items() if d.get("freealg_status", "ok") != "ok"]
    if failed:
        lines += ["**Cases without a freealg result**: "
                  + "; ".join(f"`{case}` ({status})" for case, status in failed) + ".", ""]
    return lines


def _setup(data) -> list[str]:
    versions = ", ".join(f"{k} {v}" for k, v in (data.get("versions") or {}).items())
    machine = data.get("machine") or {}
    lines = ["## Setup", ""]
    if data.get("date"):
        run = f" in {format_value(data['total_run_s'])} s" if data.get("total_run_s") is not None else ""
        lines.append(f"Measured on {data['date']}{run} by `{data.get('command', 'bench/free_convolution.py')}`"
                     + (f", with {versions}" if versions else "") + ".")
    if machine:
        load = machine.get("load_average_1min_at_start")
        lines[-1] += (f" Machine: {machine.get('nproc', '?')} cores ({machine.get('processor', '')}), "
                      f"NUMBA_NUM_THREADS = {machine.get('NUMBA_NUM_THREADS', 'unset')}"
                      + (f"; 1-minute load average {format_value(load)} at the start and "
                         f"{format_value(data['load_average_1min_at_end'])} at the end"
                         if load is not None and data.get("load_average_1min_at_end") is not None else "")
                      + ": timings on a shared machine vary by a factor 2–3 between runs.")
    cold = data.get("cold_measurement")
    if cold:
        lines += ["", "**Compilation, once per installation.** The numba kernels are compiled on the first "
                  f"call with an empty cache: {format_value(cold['jit_compile_s'])} s "
                  f"(first call {format_value(cold['empty_cache_first_call_s'])} s with an empty cache, "
                  f"{format_value(cold['cached_first_call_s'])} s once the cache is filled; importing "
                  f"rmtlib {format_value(cold['import_s'])} s). Every case shares the compiled kernel, so "
                  "this cost is paid once, not per case."]
    if (data.get("freealg") or {}).get("message"):
        lines += ["", f"freealg: {data['freealg']['message']}."]
    if data.get("engine"):
        lines += ["", "Sources measured: " + ", ".join(f"`{k}` {v}" for k, v in data["engine"].items()) + "."]
    return lines + [""]


def _other(key, value) -> list[str]:
    title = str(key).replace("_", " ").capitalize()
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        keys = []
        for row in value:
            keys += [k for k in row if k not in keys]
        rows = [[_num(r.get(k)) if isinstance(r.get(k), float) else str(r.get(k, "")) for k in keys] for r in value]
        return [f"## {title}", "", *_table([k.replace("_", " ") for k in keys], rows), ""]
    return [f"- **{_esc(title)}**: {_esc(json.dumps(value) if isinstance(value, (dict, list)) else value)}"]


def benchmarks_page(path) -> str:
    """Return the MyST text of the benchmark page from ``path`` (``bench/results.json``).

    A missing file gives a page that says so.
    """
    path = Path(path)
    lines = ["# Benchmarks", ""]
    if not path.is_file():
        return "\n".join(lines + [
            f"No benchmark results were found (`bench/{path.name}` does not exist in this checkout), so "
            "there is no table to show. Run the benchmark script in `bench/` and rebuild the book to fill "
            "this page.", ""])
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        data = {"results": data}
    lines += ["Timings and accuracy of rmtlib's free convolutions against a plain-numpy implementation of "
              "the same iteration and against the peer library freealg, measured in one run by "
              f"`bench/free_convolution.py`. This page is generated from `bench/{path.name}`.", ""]
    family = {r["case"]: r.get("family") for r in data.get("accuracy", []) if "case" in r}
    if isinstance(data.get("cases"), list):
        lines += _cases(data, family) + _speed(data, family)
    if isinstance(data.get("accuracy"), list):
        lines += _accuracy(data)
    lines += _setup(data)
    for key, value in data.items():
        if key not in _KNOWN:
            lines += _other(key, value)
    return "\n".join(lines) + "\n"
