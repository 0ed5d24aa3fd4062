"""The reproduction report and the status panel of the introduction, generated from the checks.

:func:`reproduction_page` writes every check of the build, chapter by chapter in book order, each
linked to its row in its chapter; :func:`status_panel` is the box that opens the introduction
(checks passed, profile, date, commit, one verdict per chapter) and :func:`status_figure` draws its
figure: every check as a dot at its measured value divided by its threshold.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from rmtlib.compendium import buildinfo, execution, formatting, power
from rmtlib.compendium.checks import KINDS

__all__ = ["KIND_TEXT", "VERDICT_TEXT", "facts", "false_alarm_text", "reproduction_page", "status_panel",
           "status_figure", "margin"]

KIND_TEXT = (
    "**Kind** says what a threshold rests on. *exact*: a numerical-analysis tolerance against a closed "
    "form or an independent solver. *statistical*: a null that does not involve the law under test "
    "(standard errors over seeds, an exact binomial law, a two-sample comparison, a fit over sizes), so "
    "a wrong theory fails it. *regression*: a bound calibrated on earlier runs of the same comparison; "
    "it notices that a number changed and is not evidence that the theory is right. **Detects** is the "
    "power of a statistical check: the smallest relative error delta of the theory, among 0.5, 1, 2, "
    "5, 10 and 20 %, at which the check fails when every limiting law it compares with is replaced by "
    "its pushforward under x ↦ (1 + delta) x while the simulations stay the same (`rmtlib power "
    "--sweep`), for the profile of this build and for each profile whose sweep is recorded in the "
    "package data. A dash means it was not detected up to 20 %; an empty cell means the check is not "
    "statistical or no sweep was run.")

VERDICT_TEXT = {"reproduced": "every check passes", "partly": "some checks fail", "not": "no check passes"}
"""What a chapter's checks say. A passing check confirms the statement it makes, which can be that a claim
of the paper is not reproduced: each chapter's text gives its verdict on each claim of its paper."""


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def facts(chapters) -> dict:
    """The build's facts: checks, passed, by kind, profiles, date, commit, environment, repository."""
    checks = [c for ch in chapters for c in ch.checks]
    profiles = sorted({ch.info.get("profile") or "defaults" for ch in chapters if ch.executed})
    return {"checks": len(checks), "passed": sum(c.passed for c in checks),
            "kinds": {k: (sum(c.kind == k for c in checks), sum(c.kind == k and c.passed for c in checks))
                      for k in KINDS},
            "profiles": profiles, "date": buildinfo.build_date(), "commit": buildinfo.commit(),
            "environment": buildinfo.environment(chapters), "repository": buildinfo.repository_url()}


def _facts_lines(f: dict) -> list[str]:
    kinds = ", ".join(f"{n} {kind} ({ok} pass)" for kind, (n, ok) in f["kinds"].items() if n)
    env = ", ".join(f"{name} {version}" for name, version in f["environment"].items())
    lines = [f"- **Checks**: {f['passed']} of {f['checks']} pass" + (f"; {kinds}" if kinds else ""),
             f"- **Profile**: {', '.join(f['profiles']) or 'none executed'}",
             f"- **Built**: {f['date']}, commit `{f['commit']}`",
             f"- **Environment**: {env}"]
    if f["repository"]:
        lines.append(f"- **Repository**: <{f['repository']}>")
    return lines


def margin(check) -> float:
    """The measured value as a fraction of its threshold: at most 1 when the check passes.

    ``value / threshold`` for ``<=``, ``threshold / value`` for ``>=``, and for ``within`` the
    distance to the middle of the interval over its half-width. A passing check whose ratio is
    undefined or outside [0, 1] (a bound at or below zero) counts as 0, or 1 when on its bound.
    """
    if check.op == "within":
        low, high = check.threshold
        num, den = abs(check.value - (low + high) / 2), (high - low) / 2
    elif check.op == "<=":
        num, den = check.value, check.threshold
    else:
        num, den = check.threshold, check.value
    ratio = num / den if den > 0 else float("inf")
    if check.passed and not 0 <= ratio <= 1:  # a bound at or below zero: only the verdict is known
        return 1.0 if num == den else 0.0
    return max(ratio, 0.0)


def status_figure(chapters, path) -> Path:
    """Draw every check as a dot at :func:`margin` (log scale), one row per chapter; write a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    colors = {"exact": "#2c7fb8", "statistical": "#c0392b", "regression": "#7f7f7f"}
    shown = [ch for ch in chapters if ch.executed]
    floor, ceil = 1e-4, 10.0
    fig, ax = plt.subplots(figsize=(7.0, 0.5 * len(shown) + 1.9), dpi=150, layout="constrained")
    rng = np.random.default_rng(0)
    for row, chapter in enumerate(shown):
        for k, kind in enumerate(KINDS):
            values = [margin(c) for c in chapter.checks if c.kind == kind]
            if values:
                x = np.clip(values, floor, ceil)
                y = row + (k - 1) * 0.2 + rng.uniform(-0.06, 0.06, len(x))
                ax.scatter(x, y, s=14, color=colors[kind], alpha=0.75, linewidths=0,
                           label=kind if row == 0 or not ax.get_legend_handles_labels()[1].count(kind) else None)
    ax.axvline(1.0, color="black", ls="--", lw=1)
    ax.set_xscale("log")
    ax.set_xlim(floor / 1.5, ceil)
    ax.set_yticks(range(len(shown)), [f"{ch.number}. {ch.stem}" for ch in shown], fontsize=10)
    ax.invert_yaxis()
    ax.set_xlabel("measured value / threshold (values below 1e-4 drawn at 1e-4)", fontsize=10)
    ax.tick_params(axis="x", labelsize=10)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), loc="lower center", bbox_to_anchor=(0.5, 1.0),
              ncol=3, fontsize=10, frameon=False, title="kind of check", title_fontsize=10)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path


def status_panel(chapters, *, figure=None) -> str:
    """Return the MyST status panel of the introduction (and its figure when ``figure`` is given).

    Parameters
    ----------
    chapters : list of rmtlib.compendium.buildinfo.Chapter
        The chapters in book order.
    figure : str, optional
        The figure's path relative to the page that includes the panel.
    """
    f = facts(chapters)
    lines = [":::{admonition} Status of this build", ":class: rmtlib-status", "",
             *_facts_lines(f), ""]
    for ch in chapters:
        state = buildinfo.verdict(ch)
        link = f"{{doc}}`{ch.title} <results/{ch.stem}>`" if ch.info and ch.in_toc else ch.title
        detail = (f"{len(ch.checks) - len(ch.failed)} of {len(ch.checks)} checks pass" if ch.checks
                  else "no results in this build")
        mark = formatting.PASS_MARK if state == "reproduced" else formatting.FAIL_MARK
        lines.append(f"{ch.number}. {mark} {link}: **{VERDICT_TEXT[state]}** ({detail})")
    lines += ["", "A passing check confirms the statement it makes, which can be that a claim of the paper is not "
              "reproduced; each chapter says which of its paper's claims it reproduces. "
              "Every check is listed, with its measured value and threshold, in the "
              "{doc}`reproduction report <reproduction>`.", ":::", ""]
    if figure and f["checks"]:
        lines += [f"```{{figure}} {figure}", ":name: fig-status-checks",
                  ":alt: One dot per check of this build, one row per chapter, at its measured value "
                  "divided by its threshold on a log scale; every dot left of the dashed line at 1 is "
                  "a passing check.", ":width: 100%", "",
                  f"What the compendium does: {f['checks']} comparisons of simulation with theory (and "
                  "of the theory with closed forms), one dot each at its measured value divided by its "
                  "threshold. A dot left of the dashed line is a check that passes; the distance to the "
                  "line is its margin. Colour: what the threshold rests on (an exact tolerance, a "
                  "statistical null that does not involve the law under test, or a regression bound).",
                  "```", ""]
    return "\n".join(lines)


def _detects(check, chapter, profile, others) -> str:
    if check.kind != "statistical":
        return ""
    cells = []
    if chapter.swept:
        cells.append(("–" if check.detects is None else f"{100 * check.detects:g} %")
                     + (f" ({profile})" if others else ""))
    for name, sweep in others.items():
        if check.id in sweep["detects"]:
            delta = sweep["detects"][check.id]
            cells.append(("–" if delta is None else f"{100 * delta:g} %") + f" ({name}, {sweep['date']})")
    return "; ".join(cells)


def _table(chapter) -> list[str]:
    profile = chapter.info.get("profile") or "defaults"
    others = {n: s for n, s in power.recorded(chapter.stem).items() if n != profile}
    head = ("<thead><tr><th>verdict</th><th>check</th><th>kind</th><th>detects</th>"
            "<th>measured</th><th>threshold</th></tr></thead>")
    rows = []
    for c in chapter.checks:
        cls = "rmtlib-pass" if c.passed else "rmtlib-fail"
        href = f"results/{chapter.stem}.html#{formatting.anchor(c.id)}"
        rows.append(
            f'<tr class="{cls}"><td class="rmtlib-verdict">{"pass" if c.passed else "FAIL"}</td>'
            f'<td class="rmtlib-id"><a href="{_esc(href)}"><code>{_esc(c.id)}</code></a></td>'
            f"<td>{_esc(c.kind)}</td><td>{_esc(_detects(c, chapter, profile, others))}</td>"
            f'<td class="rmtlib-num">{_esc(formatting.format_value(c.value))}</td>'
            f'<td class="rmtlib-num">{_esc(formatting.threshold_text(c))}</td></tr>'
            f'<tr class="rmtlib-claim {cls}"><td colspan="6">{_esc(c.claim)}</td></tr>')
    return [f'<table class="rmtlib-report">{head}<tbody>{"".join(rows)}</tbody></table>']


def false_alarm_text(root=None) -> str | None:
    """What ``bench/false_alarms-<profile>.json`` measured: statistical checks failing with the true theory.

    Returns one paragraph (None without a measurement): per profile, the alarms among all statistical
    check-runs over fresh seeds, against the expected count at the level of the checks, and per chapter.
    """
    parts = []
    for path in sorted((Path(root or execution.ROOT) / "bench").glob("false_alarms-*.json")):
        doc = json.loads(path.read_text())
        per = doc.get("per_chapter") or {}
        chapters = "; ".join(f"{stem} {c['false_alarms']} in {c['check_runs']:,}" for stem, c in per.items())
        alarms = f"{doc['false_alarms']} false alarm" + ("" if doc["false_alarms"] == 1 else "s")
        parts.append(f"at the {doc['profile']} profile, {alarms} in "
                     f"{doc['check_runs']:,} check-runs over {doc['seeds']} fresh seeds per chapter (expected "
                     f"{doc['expected']:.2f} at a level of {doc['alpha']:g} per check)"
                     + (f" ({chapters})" if chapters else ""))
        raised = [f"`{check_id}` ({run['chapter']}, seed {run['seed']})" for run in doc.get("runs", [])
                  for check_id in run.get("failed", [])]
        if raised:
            parts[-1] += (": " + ", ".join(raised) + "; the notes of `" + path.name + "` say what was done "
                          "about each")
    if not parts:
        return None
    return ("**False alarms.** Each chapter was run with seeds that no calibration uses and the true theory, "
            "and every failing statistical check counted (`bench/false_alarms.py`, which records the runs): "
            + "; ".join(parts) + ".")


def reproduction_page(chapters) -> str:
    """Return the MyST text of the reproduction report.

    Parameters
    ----------
    chapters : list of rmtlib.compendium.buildinfo.Chapter
        The chapters in book order (:func:`rmtlib.compendium.buildinfo.chapters`).

    Returns
    -------
    str
        Totals, profile, date, commit and environment; what kind and detects mean; then per chapter
        (in book order) its verdict and a table (verdict, check linked to its row in the chapter,
        kind, detects, measured, threshold, the claim written out under each row).
    """
    f = facts(chapters)
    lines = ["# Reproduction report", "",
             "Every claim that a chapter reproduces is a check: a measured value, a threshold and a "
             "verdict. This page is generated from the `checks.json` files written by the executed "
             "chapters; nothing on it is typed by hand. Each check links to its row in its chapter.",
             "", *_facts_lines(f), "", KIND_TEXT, ""]
    alarms = false_alarm_text()
    lines += [alarms, ""] if alarms else []
    missing = [ch.stem for ch in chapters if not ch.executed]
    if not f["checks"]:
        lines += ["No executed notebook has written its checks yet.", ""]
    for ch in chapters:
        if not ch.executed:
            continue
        state = buildinfo.verdict(ch)
        kinds = ", ".join(f"{sum(c.kind == k for c in ch.checks)} {k}" for k in KINDS
                          if any(c.kind == k for c in ch.checks))
        lines += [f"(report-{ch.stem})=", f"## {ch.number}. {ch.title}", "",
                  f"**{VERDICT_TEXT[state].capitalize()}**: {len(ch.checks) - len(ch.failed)} of "
                  f"{len(ch.checks)} checks pass ({kinds}); profile `{ch.info.get('profile') or 'defaults'}`"
                  + ("" if ch.swept else "; no power sweep in this build")
                  + (f"; {len(ch.not_calibrated)} regression checks not calibrated at this profile "
                     "(not judged): " + ", ".join(f"`{r.get('id')}`" for r in ch.not_calibrated)
                     if ch.not_calibrated else "") + "."
                  + (f" Chapter: {{doc}}`results/{ch.stem}`." if ch.in_toc else ""), "", *_table(ch), ""]
    if missing:
        lines += ["Notebooks without results in this build (not executed or failed before their last "
                  "cell): " + ", ".join(f"`{m}`" for m in missing) + ".", ""]
    return "\n".join(lines)
