"""The executed copy reads like the book: check boxes, folded bookkeeping, parameters, rerun box."""

from __future__ import annotations

import nbformat
import pytest

from conftest import make_notebook
from rmtlib.compendium import checks, claims_box, execution, executed, formatting


def test_bookkeeping_cells_are_recognised():
    assert executed.bookkeeping("report.check('a', 'c.', 1, 2, kind='exact')")
    assert executed.bookkeeping("for k in x:\n    t = stat('a', 'c', test)")
    assert executed.bookkeeping("figures.bulk(bulk)\nplt.show()")
    assert executed.bookkeeping("glue('n', n, display=False)\nglue('m', m, display=False)")
    assert executed.bookkeeping("import numpy as np\nfrom rmtlib import laws")
    assert not executed.bookkeeping("bulk = experiments.bulk_sweep(n, seed=1)\nfig = figures.bulk(bulk)")
    assert not executed.bookkeeping("# only a comment")


def test_rerun_command_and_parameters_note():
    params = {"n": 600, "label": "a b", "sizes": [1, 2], "seed": 7}
    base = {"n": 600, "label": "x", "sizes": [1, 2], "seed": 7}
    assert (executed.rerun_command("toolkit", "quick", params, base)
            == "rmtlib run toolkit --profile quick -p label 'a b'")
    assert executed.rerun_command("toolkit", None, base, base) == "rmtlib run toolkit"
    note = executed.parameters_markdown("quick", params, {"n": 1000, "label": "a b", "sizes": [1, 2], "seed": 7})
    assert "profile `quick`, 1 of 4 differ from the defaults" in note and "| `n` | `600` | `1000` |" in note
    assert ":class: dropdown" in note
    assert "every parameter has its default" in executed.parameters_markdown("paper", base, base)


def test_box_summaries():
    report = checks.Report("demo")
    report.check("a", "One.", 0.1, 0.2, kind="exact")
    assert formatting.box_summary(report.checks) == "✔ 1/1 check"
    report.check("b", "Two <b>.", 0.3, 0.2, kind="regression")
    box = formatting.check_box_html(report.checks)
    assert box.startswith('<details class="rmtlib-checks rmtlib-failed" open><summary>✘ 1 of 2 checks failed')
    assert 'id="check-b"' in box and "Two &lt;b&gt;." in box and "<td>regression</td>" in box
    assert "#report-demo" in formatting.chapter_summary_html("demo", report.checks)


@pytest.mark.notebook
def test_an_executed_chapter_has_one_box_per_section_and_a_rerun_box(tmp_path, monkeypatch):
    path = make_notebook(tmp_path, "demo", params="n = 3\nbound = 10.0", profiles={"quick": {"n": 2}}, body=[
        "from rmtlib.compendium import checks\nimport matplotlib.pyplot as plt\nreport = checks.Report('demo')",
        "x = n * 2",
        "report.check('one', 'First claim.', x, bound, kind='exact')",
        "report.check('two', 'Second claim, in the same section.', 1.0, bound, kind='statistical')",
        "fig, ax = plt.subplots(figsize=(2, 2))\nax.plot([0, 1], [0, n])\nplt.show()",
        "report.finish()",
    ])
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(6, nbformat.v4.new_markdown_cell("## A second section"))
    nbformat.write(nb, path)
    monkeypatch.setenv("RMTLIB_PROFILE_DIR", str(tmp_path / "profiles"))
    notebook = execution.Notebook.load(path)
    execution.execute_for_book(notebook, "quick", results=tmp_path / "results", progress=False)
    out = nbformat.read(tmp_path / "results" / "demo.ipynb", as_version=4)
    outputs = [(i, o) for i, c in enumerate(out.cells) for o in c.get("outputs", [])]
    boxes = [(i, o) for i, o in outputs if o.get("metadata", {}).get("rmtlib", {}).get("checks")]
    assert len(boxes) == 1  # both checks cells of the first section, merged into the second
    assert boxes[0][1]["data"]["text/plain"].startswith("✔ 2/2 checks")
    texts = " ".join(str(o.get("data", {}).get("text/plain", "")) for _, o in outputs)
    assert "PosixPath" not in texts and "[PASS]" not in texts.replace("  [PASS]", "")
    assert "All 2 checks of this chapter pass" in texts
    tags = {c.source.splitlines()[0]: c.metadata.get("tags", []) for c in out.cells if c.cell_type == "code"}
    assert "hide-input" in tags["report.check('one', 'First claim.', x, bound, kind='exact')"]
    assert "hide-input" not in tags["x = n * 2"]
    generated = [c for c in out.cells if executed.GENERATED in c.metadata.get("tags", [])]
    assert any("| `n` | `2` | `3` |" in c.source for c in generated)
    assert generated[0].source.startswith(":::{admonition} Claims and verdicts")
    assert out.cells[-1] is generated[-1] and "rmtlib run demo --profile quick" in out.cells[-1].source
    figures = execution.extract_figures(tmp_path / "results" / "demo.ipynb", tmp_path / "figures")
    assert [p.name for p in figures] == ["a-second-section.png"]


def test_glued_figures_are_extracted_and_named_after_their_glue_name(tmp_path):
    png = "iVBORw0KGgo="  # base64 of the PNG signature: enough for a byte-exact round trip
    glued = nbformat.v4.new_output("display_data", data={"application/papermill.record/image/png": png},
                                   metadata={"scrapbook": {"name": "fig_demo_bulk"}})
    shown = nbformat.v4.new_output("display_data", data={"image/png": png})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## The bulk"),
                                         nbformat.v4.new_code_cell("x", outputs=[glued, shown])])
    path = tmp_path / "demo.ipynb"
    nbformat.write(nb, path)
    written = execution.extract_figures(path, tmp_path / "figures")
    assert [p.name for p in written] == ["fig-demo-bulk.png", "the-bulk.png"]
    assert written[0].read_bytes() == b"\x89PNG\r\n\x1a\n"


def test_the_claims_box_gives_one_verdict_per_section_and_links_the_deciding_check():
    def box(*checks):
        out = nbformat.v4.new_output("display_data", data={"text/plain": "box"},
                                     metadata={"rmtlib": {"checks": [c.__dict__ for c in checks]}})
        return nbformat.v4.new_code_cell("report.check(...)", outputs=[out])

    make = lambda i, v, t, ok, kind="statistical": checks.Check(notebook="demo", id=i, claim="c.", value=v, threshold=t,  # noqa: E731
                                                                 op="<=", passed=ok, kind=kind)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Demo\n\nIntro."),
        nbformat.v4.new_markdown_cell("## The bulk"), box(make("a", 0.1, 1.0, True), make("b", 0.9, 1.0, True)),
        nbformat.v4.new_markdown_cell("## The outliers"), box(make("c", 2.0, 1.0, False), make("d", 0.5, 1.0, True)),
        nbformat.v4.new_markdown_cell("## The atom"), box(make("e", 3.0, 1.0, False, "exact"))])
    text = claims_box.claims_markdown(nb)
    assert '| The bulk | all pass (2/2) | <a href="#check-b"><code>b</code></a>: 0.9 <= 1 |' in text
    assert '| The outliers | partly (1/2) | <a href="#check-c"><code>c</code></a>' in text
    assert "| The atom | all fail (0/1) |" in text
    executed.postprocess(nb, stem="demo", profile="quick", params={}, defaults={}, base={})
    assert [c.source.startswith(":::{admonition} Claims and verdicts") for c in nb.cells[:3]].count(True) == 1
    executed.postprocess(nb, stem="demo", profile="quick", params={}, defaults={}, base={})
    assert sum("Claims and verdicts" in c.source for c in nb.cells) == 1


HIDDEN_TAGS = {"hide-input", "remove-input", "remove-cell", "hide-cell", "parameters", "injected-parameters"}
LINE_LIMIT = 88


@pytest.mark.parametrize("notebook", execution.notebooks(), ids=lambda nb: nb.stem)
def test_visible_code_is_wrapped_and_at_most_half_the_code_cells_show_their_input(notebook):
    cells = nbformat.read(notebook.path, as_version=4).cells
    code = [(i, c) for i, c in enumerate(cells) if c.cell_type == "code"]
    visible = [(i, c) for i, c in code if not HIDDEN_TAGS & set(c.metadata.get("tags", []))
               and not executed.bookkeeping(c.source)]
    long = [f"{notebook.stem} cell {i} line {n}: {len(line)} > {LINE_LIMIT} characters: {line!r}"
            for i, c in visible for n, line in enumerate(c.source.splitlines(), 1) if len(line) > LINE_LIMIT]
    assert not long, "\n".join(long)
    assert 2 * len(visible) <= len(code), (f"{notebook.stem}: {len(visible)} of {len(code)} code cells "
                                           f"show their input (cells {[i for i, _ in visible]})")
