"""False-alarm rate of the statistical checks: run chapters with fresh seeds and the true theory.

Each run executes a chapter with ``-p seed S`` for seeds that no calibration or book run uses and
counts the statistical checks that fail although the theory is unperturbed. With every check at
level ALPHA = 1e-4, the expected count per run is ALPHA times the number of statistical checks.

    .venv/bin/python bench/false_alarms.py --profile quick --seeds 10
    .venv/bin/python bench/false_alarms.py --profile paper --seeds 3 --chapters jacobian deformed

Prints a table and writes ``bench/false_alarms-<profile>.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from rmtlib.compendium import execution, nulls
from rmtlib.compendium.checks import read_checks

FIRST_SEED = 900001
"""Fresh seeds are FIRST_SEED, FIRST_SEED + 1, ...: far from every seed the book and the calibrations use."""


def run_chapter(stem: str, profile: str, seed: int, root: Path) -> dict:
    """Execute one chapter with one fresh seed; return its statistical checks' verdicts."""
    nb = execution.find_notebook(stem)
    params = nb.resolve(profile=profile, overrides={"seed": seed})
    folder = root / f"{stem}-{seed}"
    start = time.perf_counter()
    error = None
    try:
        execution.execute(nb, folder / f"{stem}.ipynb", params=params, output_dir=folder,
                          profile=profile, progress=False)
    except execution.NotebookError as exc:
        error = str(exc).splitlines()[0]
    path = folder / "checks.json"
    checks = read_checks(path) if path.is_file() else []
    statistical = [c for c in checks if c.kind == "statistical"]
    return {"chapter": stem, "seed": seed, "seconds": round(time.perf_counter() - start, 1),
            "statistical": len(statistical), "failed": [c.id for c in statistical if not c.passed],
            "other_failed": [c.id for c in checks if c.kind != "statistical" and not c.passed],
            "error": None if (checks and not error) or any(not c.passed for c in checks) else error}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--chapters", nargs="*", default=None)
    args = parser.parse_args(argv)
    stems = args.chapters or [nb.stem for nb in execution.notebooks()]
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for stem in stems:
            for seed in range(FIRST_SEED, FIRST_SEED + args.seeds):
                row = run_chapter(stem, args.profile, seed, Path(scratch))
                rows.append(row)
                print(f"{stem:<10} seed {seed}  {row['seconds']:6.1f} s  statistical {row['statistical']:3d}  "
                      f"failed {len(row['failed'])} {row['failed'] or ''} {row['error'] or ''}", flush=True)
    trials = sum(r["statistical"] for r in rows)
    alarms = sum(len(r["failed"]) for r in rows)
    per_chapter = {stem: {"runs": sum(r["chapter"] == stem for r in rows),
                          "check_runs": sum(r["statistical"] for r in rows if r["chapter"] == stem),
                          "false_alarms": sum(len(r["failed"]) for r in rows if r["chapter"] == stem)}
                   for stem in stems}
    summary = {"profile": args.profile, "seeds": args.seeds, "alpha": nulls.ALPHA, "check_runs": trials,
               "false_alarms": alarms, "expected": nulls.ALPHA * trials, "per_chapter": per_chapter, "runs": rows}
    print(f"{alarms} false alarms in {trials} statistical check runs (expected {nulls.ALPHA * trials:.3f})")
    out = Path(__file__).with_name(f"false_alarms-{args.profile}.json")
    out.write_text(json.dumps(summary, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
