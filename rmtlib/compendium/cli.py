"""The ``rmtlib`` command: list, run and reproduce the chapter notebooks.

``rmtlib list``
    each notebook with its parameters, defaults and profiles;
``rmtlib run NOTEBOOK [-p NAME VALUE]... [--profile NAME]``
    execute one notebook into a new folder ``runs/<stem>/<UTC time>-<parameter hash>/`` holding the
    executed notebook, ``parameters.json``, ``checks.json`` and ``figures/``;
``rmtlib reproduce [--profile NAME]``
    run every notebook that way, print every check, exit 1 if any failed;
``rmtlib power NOTEBOOK [--profile NAME] --perturb NAME=VALUE``
    run a notebook with its theory perturbed (``scale=1.02``: every limiting law its checks compare
    with pushed forward by x -> 1.02 x) and its simulations unchanged; exit 1 naming the checks that
    fail, 0 when none fails, 2 for a usage error. ``--sweep`` instead runs scale = 1 + delta for
    delta in 0.5, 1, 2, 5, 10, 20 % and records each statistical check's ``detects``.

Two maintenance commands are used by the Makefile: ``rmtlib execute --profile NAME`` (execute
into ``book/results``, reusing results whose inputs are unchanged, and saying why the others run)
and ``rmtlib pages`` (generate the report pages). ``run``, ``reproduce``, ``execute`` and ``power`` take
``--workers N`` and ``--scheduler ADDR`` (a Dask scheduler, or ``local``): the backend of the sweeps,
passed to the kernel through its environment (`rmtlib.experiments.mapper`); the numbers do not change.
The command needs the ``compendium`` extra (``pip install 'rmtlib[compendium]'``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

try:
    from rmtlib.compendium import execution, power, runpage
    from rmtlib.compendium.bookpages import write_pages
    from rmtlib.compendium.calibration import Calibration, data_path
    from rmtlib.compendium.checks import checks_table, read_checks
    from rmtlib.compendium.kernel_environment import add_backend_arguments, export_backend
except ModuleNotFoundError as _missing:  # pragma: no cover - only without the compendium extra
    raise SystemExit(f"rmtlib: the command needs {_missing.name!r}, which the compendium extra "
                     "installs: pip install 'rmtlib[compendium]'") from None

__all__ = ["main"]


def _runs_root(args) -> Path:
    root = Path(args.runs_dir) if args.runs_dir else execution.ROOT / "runs"
    if root.exists() and not root.is_dir():
        raise ValueError(f"--runs-dir {str(root)!r} is a file, not a directory")
    return root


def _cmd_list(args) -> int:
    for nb in execution.notebooks(args.notebook_dir):
        print(f"{nb.stem}  ({nb.path})")
        width = max((len(k) for k in nb.defaults), default=0)
        for name, default in nb.defaults.items():
            per_profile = ", ".join(f"{p}={prof[name]!r}" for p, prof in nb.profiles.items() if name in prof)
            extra = f"   [{per_profile}]" if per_profile else ""
            print(f"    {name:<{width}} = {default!r} ({type(default).__name__}){extra}")
            if nb.domains is not None:
                print(f"    {'':<{width}}   {nb.domains.describe(name)}")
        print(f"    profiles: {', '.join(nb.profiles) or '(none)'}")
        if nb.domains is not None:
            for profile in nb.profiles:
                params = nb.resolve(profile=profile)
                took = nb.domains.describe_time(params, nb.defaults)
                print(f"    estimate ({profile}): {nb.domains.memory(params) / 2**30:.2f} GiB per process{took}")
        declared = power.theory_parameters(nb)
        print("    theory parameters (rmtlib power --perturb NAME=FACTOR):")
        for name, description in declared.items():
            print(f"      {name}: {description}")
    return 0


def _preflight(nb, params, profile) -> None:
    """Refuse, before any kernel starts, a run the machine cannot hold or its calibration cannot grade."""
    if nb.domains is not None:
        nb.domains.require_memory(params)
    path = data_path(nb.stem)
    if path.is_file():
        document = json.loads(path.read_text())
        name = profile or params.get("profile") or "paper"
        if name in document.get("profiles", {}):
            sizes = {k: v for k, v in params.items() if k not in ("seed", "profile")}
            Calibration(document, name).check_settings(sizes)


def _prepare(args):
    """Validate notebook, profile and parameters; return (notebook, params). Executes nothing."""
    nb = execution.find_notebook(args.notebook, directory=args.notebook_dir)
    overrides = {}
    for name, text in args.param or []:
        overrides[name] = execution.parse_value(nb, name, text)
    params = nb.resolve(profile=args.profile, overrides=overrides)
    _preflight(nb, params, args.profile)
    return nb, params


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _status(folder: Path, **fields) -> None:
    """Update ``status.json`` of a run folder (written whole to a temporary file, then renamed)."""
    path = folder / "status.json"
    doc = json.loads(path.read_text()) if path.is_file() else {}
    doc.update(fields)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(doc, indent=2) + "\n")
    os.replace(partial, path)


def run_one(nb, params, *, profile, runs_root, progress=True):
    """Execute ``nb`` into a fresh run folder; return (folder, error message or None).

    The folder's ``status.json`` says ``running`` from the start, then ``passed``, ``failed``
    (with the failing checks or the error) or ``interrupted``, with start and end times and the
    command line.
    """
    folder = execution.new_run_dir(runs_root, nb.stem, params)
    (folder / "parameters.json").write_text(json.dumps(
        {"notebook": nb.stem, "profile": profile, "parameters": params}, indent=2) + "\n")
    _status(folder, status="running", started=_now(), command=["rmtlib", *sys.argv[1:]])
    output = folder / f"{nb.stem}.ipynb"
    print(f"running {nb.stem} (profile {profile or 'defaults'}) into {folder}", file=sys.stderr)
    error = None
    try:
        execution.execute(nb, output, params=params, output_dir=folder, profile=profile,
                          progress=progress)
    except execution.NotebookError as exc:
        error = str(exc)
    except KeyboardInterrupt:
        _status(folder, status="interrupted", ended=_now())
        raise Interrupted(folder) from None
    checks = read_checks(folder / "checks.json") if (folder / "checks.json").is_file() else []
    failed = [c.id for c in checks if not c.passed]
    _status(folder, status="failed" if (error or failed) else "passed", ended=_now(),
            failed_checks=failed, error=None if failed else error)
    if output.exists():
        execution.extract_figures(output, folder / "figures")
        page, why = runpage.write_run_page(output, folder)
        _status(folder, html=str(page) if page else why)
    return folder, error


class Interrupted(KeyboardInterrupt):
    """A run stopped by SIGINT or SIGTERM; ``args[0]`` is its run folder (or None)."""


def _terminate(signum, frame):
    raise KeyboardInterrupt


def _cmd_run(args) -> int:
    nb, params = _prepare(args)
    folder, error = run_one(nb, params, profile=args.profile, runs_root=_runs_root(args),
                            progress=not args.no_progress)
    checks = folder / "checks.json"
    if checks.is_file():
        recorded = read_checks(checks)
        print(checks_table(recorded, markdown=False))
        failed = [c for c in recorded if not c.passed]
        if failed:
            _print_failed(failed, "failed checks:")
        print(f"{len(recorded)} checks, {len(failed)} failed")
    page = json.loads((folder / "status.json").read_text()).get("html")
    if page:
        print(page if not page.endswith(".html") else f"HTML page of the run: {page}")
    print(f"run folder: {folder}")
    if error:
        print(error, file=sys.stderr)
        return 1
    return 0


def _cmd_reproduce(args) -> int:
    prepared = [(nb, nb.resolve(profile=args.profile)) for nb in execution.notebooks(args.notebook_dir)]
    for nb, params in prepared:
        _preflight(nb, params, args.profile)
    if not prepared:
        print("no notebooks found", file=sys.stderr)
        return 1
    all_checks, errors = [], []
    for nb, params in prepared:
        folder, error = run_one(nb, params, profile=args.profile, runs_root=_runs_root(args),
                                progress=not args.no_progress)
        if (folder / "checks.json").is_file():
            all_checks += read_checks(folder / "checks.json")
        if error:
            errors.append(error)
    if all_checks:
        print(checks_table(all_checks, markdown=False))
    failed = [c for c in all_checks if not c.passed]
    print(f"{len(all_checks)} checks, {len(failed)} failed, {len(errors)} notebooks with errors")
    for error in errors:
        print(error, file=sys.stderr)
    return 1 if failed or errors else 0


def _print_failed(failed, header):
    print(header)
    for check in failed:
        print(f"  - {check.id} [{check.kind}]: {check.claim} ({check.condition()})")


def _cmd_power(args) -> int:
    nb, params = _prepare(args)
    if bool(args.perturb) == bool(args.sweep):
        raise ValueError("give either --perturb NAME=VALUE (repeatable) or --sweep")
    perturbation = power.parse(nb, args.perturb or [])
    runs_root = _runs_root(args) / "power"
    if args.sweep:
        folder = execution.new_run_dir(runs_root, nb.stem, params)
        base = power.judge(nb, params, profile=args.profile, perturbation={}, folder=folder,
                           progress=not args.no_progress)
        if base.error or base.failed:
            _print_failed(base.failed, f"{nb.stem}: the unperturbed run fails; no sweep")
            print(base.error or "", file=sys.stderr)
            return 1
        started = time.perf_counter()
        result = power.sweep(nb, params, profile=args.profile, baseline=base.checks,
                             workdir=folder / "perturbed", progress=not args.no_progress)
        power.annotate(folder / "checks.json", result, profile=args.profile)
        if args.record:
            if args.param or args.profile is None:
                raise ValueError("--record stores a named profile's sweep: give --profile and no -p")
            print(f"recorded in {power.record(nb.stem, result, profile=args.profile, seconds=time.perf_counter() - started)}")
        for check in read_checks(folder / "checks.json"):
            if check.kind == "statistical":
                found = "not up to 20 %" if check.detects is None else f"{100 * check.detects:g} %"
                print(f"  {check.id:<40} detects {found}")
        print(f"detects written to {folder / 'checks.json'}")
        return 0
    folder = execution.new_run_dir(runs_root, nb.stem, {**params, "perturb": perturbation})
    run = power.judge(nb, params, profile=args.profile, perturbation=perturbation, folder=folder,
                      progress=not args.no_progress)
    label = power.describe(perturbation)
    print(f"run folder: {folder}")
    if run.error:
        print(run.error, file=sys.stderr)
        return 1
    if run.failed:
        _print_failed(run.failed, f"{nb.stem} under {label}: {len(run.checks)} checks, "
                                  f"{len(run.failed)} failed:")
        return 1
    print(f"{nb.stem} under {label}: {len(run.checks)} checks, 0 failed")
    return 0


def _why(reasons: list[str]) -> str:
    shown = "; ".join(reasons[:3])
    return shown + (f"; and {len(reasons) - 3} more" if len(reasons) > 3 else "")


def _cmd_execute(args) -> int:
    nbs = execution.notebooks(args.notebook_dir)
    for nb in nbs:  # validate every profile first
        _preflight(nb, nb.resolve(profile=args.profile), args.profile)
    failures = []
    for nb in nbs:
        reasons = (["--force"] if args.force
                   else execution.stale_reasons(nb, args.profile, results=args.results))
        if not reasons:
            print(f"{nb.stem}: reusing book/results/{nb.stem}.ipynb (profile {args.profile}, "
                  "inputs unchanged)")
            continue
        print(f"{nb.stem}: executing with profile {args.profile} ({_why(reasons)})")
        try:
            info = execution.execute_for_book(nb, args.profile, results=args.results, reuse=False,
                                              progress=not args.no_progress)
        except execution.NotebookError as exc:
            failures.append(str(exc))
            continue
        print(f"{nb.stem}: executed in {info['seconds']:.1f} s")
    if args.power:
        failures += _sweep_results(nbs, args)
    for message in failures:
        print(f"rmtlib: {message}", file=sys.stderr)
    return 1 if failures else 0


def _sweep_results(nbs, args) -> list[str]:
    """Fill ``detects`` in each fresh ``book/results/<stem>/checks.json`` that has no sweep yet."""
    results = Path(args.results or execution.RESULTS_DIR)
    failures = []
    for nb in nbs:
        path = results / nb.stem / "checks.json"
        if not path.is_file() or power.swept(path, args.profile):
            continue
        print(f"{nb.stem}: power sweep (profile {args.profile})")
        try:
            result = power.sweep(nb, nb.resolve(profile=args.profile), profile=args.profile,
                                 baseline=read_checks(path), progress=False)
        except ValueError as exc:
            failures.append(str(exc))
            continue
        power.annotate(path, result, profile=args.profile)
        found = sum(v is not None for v in result.detects.values())
        print(f"{nb.stem}: {found} of {len(result.detects)} statistical checks detect a scale error "
              f"of at most {100 * max(result.deltas, default=0):g} %")
    return failures


def _cmd_pages(args) -> int:
    for path in write_pages(results=args.results):
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``rmtlib`` command."""
    parser = argparse.ArgumentParser(prog="rmtlib", description=__doc__.split("\n")[0])
    parser.add_argument("--notebook-dir", default=None, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="show each notebook with its parameters and profiles")
    for name, helptext in (("run", "execute one notebook into a new run folder"),
                           ("reproduce", "run every notebook and print the checks table")):
        p = sub.add_parser(name, help=helptext)
        if name == "run":
            p.add_argument("notebook", help="notebook stem (e.g. toolkit) or path")
            p.add_argument("-p", "--param", nargs=2, action="append", metavar=("NAME", "VALUE"),
                           help="override a parameter (repeatable)")
        p.add_argument("--profile", default=None if name == "run" else "paper",
                       help="named profile (quick, paper, ...)")
        p.add_argument("--runs-dir", default=None, help="where run folders go (default: runs/)")
        p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
        add_backend_arguments(p)
    p = sub.add_parser("power", help="run one notebook with its theory perturbed (or sweep the scale)")
    p.add_argument("notebook", help="notebook stem (e.g. toolkit) or path")
    p.add_argument("-p", "--param", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="override a parameter (repeatable)")
    p.add_argument("--profile", default=None, help="named profile (quick, paper, ...)")
    p.add_argument("--perturb", action="append", metavar="NAME=VALUE",
                   help="multiply a theory parameter by VALUE (scale=1.02; see rmtlib list)")
    p.add_argument("--sweep", action="store_true", help="find the smallest scale error each check detects")
    p.add_argument("--record", action="store_true",
                   help="with --sweep: store the result in the package data for the book's report")
    p.add_argument("--runs-dir", default=None, help="where run folders go (default: runs/)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_backend_arguments(p)
    p = sub.add_parser("execute", help="(make book) execute every notebook into book/results")
    p.add_argument("--profile", default="paper")
    p.add_argument("--results", default=None)
    p.add_argument("--force", action="store_true", help="execute even if a fresh result exists")
    p.add_argument("--power", action="store_true", help="then sweep the scale error (detects)")
    p.add_argument("--no-progress", action="store_true")
    add_backend_arguments(p)
    p = sub.add_parser("pages", help="(make book) generate book/reproduction.md, benchmarks.md and api.md")
    p.add_argument("--results", default=None)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``rmtlib`` console script."""
    args = build_parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)  # SIGTERM ends a run as Ctrl-C does
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # no leftover-task noise after a stop
    handlers = {"list": _cmd_list, "run": _cmd_run, "reproduce": _cmd_reproduce,
                "execute": _cmd_execute, "pages": _cmd_pages, "power": _cmd_power}
    try:
        export_backend(args)
        return handlers[args.command](args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"rmtlib: error: {exc}", file=sys.stderr)
        return 2
    except execution.NotebookError as exc:
        print(f"rmtlib: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        where = f"; run folder marked interrupted: {exc.args[0]}" if exc.args else ""
        print(f"rmtlib: interrupted, the kernel was stopped{where}", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
