"""The stored power records of the chapters, and what a chapter says its checks reach.

``rmtlib power STEM --profile P --sweep --record`` stores, per profile, the smallest scale error of the
law that makes each statistical check fail (``detects``) in ``<data_dir>/<stem>_power.json``. The
targets (issue "checks that can fail"): a scale error of at most :data:`TARGET` for every statistical
check, :data:`SHARP_TARGET` for outlier positions and training losses. :func:`reach_markdown` says,
from the record, which checks meet them at the paper profile and which do not.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from rmtlib.compendium.calibration import data_dir

__all__ = ["SHARP", "SHARP_TARGET", "TARGET", "reach_markdown", "record_path", "recorded"]

TARGET = 0.02
"""The scale error every statistical check of a headline claim should detect at the paper profile."""
SHARP_TARGET = 0.01
"""The target for outlier positions and training losses."""
SHARP = re.compile(r"^(?:rect_)?outlier_position|^univ_position|^etrain")
"""Check ids held to :data:`SHARP_TARGET`."""


def record_path(stem: str) -> Path:
    """The power record of a chapter: ``<data_dir>/<stem>_power.json``."""
    return data_dir() / f"{stem}_power.json"


def recorded(stem: str) -> dict:
    """``{profile: {"date", "source", "seconds", "deltas", "detects"}}`` from the stored record (``{}`` if none)."""
    path = record_path(stem)
    return json.loads(path.read_text())["profiles"] if path.is_file() else {}


def _percent(delta) -> str:
    return f"{100 * delta:g} %"


def _verb(count, verb) -> str:
    return verb + ("es" if verb.endswith("s") else "s") if count == 1 else verb


def _listing(items) -> str:
    return ", ".join(f"`{check_id}` ({_percent(delta)})" for check_id, delta in items)


def reach_markdown(stem: str, checks, *, profile: str = "paper") -> str | None:
    """One paragraph: how many statistical checks meet the targets at ``profile``, and which miss them.

    Parameters
    ----------
    stem : str
        The chapter.
    checks : sequence of rmtlib.compendium.checks.Check
        Its checks (their ``kind`` says which are statistical).
    profile : str
        The profile of the record read.

    Returns
    -------
    str or None
        Markdown, or None when the chapter has no record at ``profile``.
    """
    record = recorded(stem).get(profile)
    if not record:
        return None
    detects = record["detects"]
    ids = [c.id for c in checks if c.kind == "statistical" and c.id in detects]
    if not ids:
        return None
    largest = max(record["deltas"])
    blind = [i for i in ids if detects[i] is None]
    target = {i: SHARP_TARGET if SHARP.search(i) else TARGET for i in ids}
    missed = [(i, detects[i]) for i in ids if detects[i] is not None and detects[i] > target[i] + 1e-12]
    met = len(ids) - len(blind) - len(missed)
    text = (f"**What the checks can detect** (profile {profile}, recorded {record['date']} by "
            f"`rmtlib power {stem} --profile {profile} --sweep`). The target is that each statistical check "
            f"fails when the law is scaled by {_percent(TARGET)} ({_percent(SHARP_TARGET)} for outlier "
            f"positions and training losses). Of the {len(ids)} statistical checks, {met} meet it")
    text += f"; {len(missed)} {_verb(len(missed), 'need')} a larger error: {_listing(missed)}" if missed else ""
    if blind:
        text += (f"; {len(blind)} {_verb(len(blind), 'pass')} at every scale error up to {_percent(largest)}: "
                 "most of them cannot "
                 "see a scale change by design (atom masses, counts and overlaps do not move, two-sample "
                 "comparisons and rejections of a rival law do not involve the scaled law)")
    return text + ". The reproduction report lists every check with its kind and what it detects."
