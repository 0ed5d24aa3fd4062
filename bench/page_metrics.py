"""Measure the layout of the built site's long pages in headless Chromium.

For every chapter (``book/results/*.html``), the reproduction report and the benchmarks page, at one
viewport width: the page height, the shares of it taken by visible code, by the check boxes and check
tables and by images, the widest table against the content column. Prints a Markdown table and
writes ``bench/page_metrics.json``::

    .venv/bin/python bench/page_metrics.py [--site _build/html] [--width 1300]
"""

from __future__ import annotations

import argparse
import datetime
import functools
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bench" / "page_metrics.json"
REPORTS = ("book/reproduction.html", "book/benchmarks.html")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         "--mute-audio", "--proxy-server=http://127.0.0.1:9", "--virtual-time-budget=20000"]

# Runs after the load event and MathJax; writes its result into <pre id="page-metrics">. A share is the
# union of the vertical extents of the visible elements of a kind, over the page height.
MEASURE = b"""<script>
window.addEventListener('load', async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  const doc = document.documentElement, y = window.scrollY;
  const inClosed = el => { const d = el.parentElement && el.parentElement.closest('details:not([open])');
    return !!d && ![...d.children].some(c => c.tagName === 'SUMMARY' && c.contains(el)); };
  const visible = el => el.checkVisibility() && !inClosed(el) && el.getBoundingClientRect().height > 0;
  const article = document.querySelector('article.bd-article') || document.querySelector('article') || document.body;
  const extent = sel => {
    const spans = [...article.querySelectorAll(sel)].filter(visible).map(el => el.getBoundingClientRect())
      .map(r => [r.top + y, r.bottom + y]).sort((a, b) => a[0] - b[0]);
    let total = 0, end = -Infinity;
    for (const [top, bottom] of spans) {
      total += Math.max(0, bottom - Math.max(top, end)); end = Math.max(end, bottom);
    }
    return total;
  };
  const style = getComputedStyle(article);
  const column = article.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const out = {viewport: window.innerWidth, height: doc.scrollHeight, column: column,
    code: extent('div.cell_input, div.highlight:not(.cell div.highlight)'),
    checks: extent('details.rmtlib-checks, table.rmtlib-check-table, table.rmtlib-report'),
    figures: extent('img')};
  article.querySelectorAll('details').forEach(d => { d.open = true; });  // tables in closed boxes too
  const tables = [...article.querySelectorAll('table')]
    .map(t => Math.max(t.scrollWidth, t.getBoundingClientRect().width));
  Object.assign(out, {tables: tables.length, widest_table: Math.max(0, ...tables)});
  const pre = document.createElement('pre'); pre.id = 'page-metrics';
  pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
});
</script>"""


class _Handler(SimpleHTTPRequestHandler):
    """Serve the site; ``page.html?measure`` is served with the measuring script appended."""

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass

    def send_head(self):
        if not self.path.endswith("?measure"):
            return super().send_head()
        body = Path(self.translate_path(self.path.split("?")[0])).read_bytes()
        body = body.replace(b"</body>", MEASURE + b"</body>")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def find_chromium() -> str:
    """Path of the Chromium executable (``$RMTLIB_CHROMIUM`` or on PATH); SystemExit if there is none."""
    found = os.environ.get("RMTLIB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise SystemExit("Chromium is not installed (apt-get install chromium)")
    return found


def measure(chromium: str, url: str, width: int, workdir: Path) -> dict:
    """Load one page at the given viewport width and return what the measuring script wrote."""
    cmd = [chromium, *FLAGS, f"--user-data-dir={workdir}", f"--window-size={width},1600", "--dump-dom", url]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    found = re.search(r'<pre id="page-metrics"[^>]*>([^<]*)</pre>', proc.stdout)
    if proc.returncode != 0 or not found:
        raise RuntimeError(f"could not measure {url}: {proc.stderr[-1000:]}")
    return json.loads(html.unescape(found.group(1)))


def summarize(page: str, raw: dict) -> dict:
    """Shares of the page height (percent), table widths and whether a table overflows its column."""
    height = raw["height"] or 1
    return {"page": page, "viewport": raw["viewport"], "height_px": raw["height"],
            "code_pct": round(100 * raw["code"] / height, 1),
            "checks_pct": round(100 * raw["checks"] / height, 1),
            "figures_pct": round(100 * raw["figures"] / height, 1),
            "tables": raw["tables"], "widest_table_px": round(raw["widest_table"]),
            "column_px": round(raw["column"]), "table_overflows": raw["widest_table"] > raw["column"] + 1}


def markdown(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    head = ("page", "height px", "code %", "checks %", "figures %", "widest table px", "column px", "overflow")
    keys = ("page", "height_px", "code_pct", "checks_pct", "figures_pct", "widest_table_px", "column_px",
            "table_overflows")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(("yes" if r[k] else "no") if k == "table_overflows" else str(r[k])
                                for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def commit() -> str | None:
    """Short hash of the checked-out commit, or None outside a git work tree."""
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    return proc.stdout.strip() or None


def main(argv=None) -> int:
    """Measure the pages and write the table and the JSON file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html", help="built site")
    parser.add_argument("--width", type=int, default=1300, help="viewport width in CSS px")
    args = parser.parse_args(argv)
    if args.width < 200:
        parser.error(f"--width must be at least 200 px, got {args.width}")
    site = args.site.resolve()
    pages = [p.relative_to(site).as_posix() for p in sorted((site / "book" / "results").glob("*.html"))]
    pages += [p for p in REPORTS if (site / p).is_file()]
    if not pages:
        parser.error(f"--site {args.site}: no chapter or report page (build it with `make book`)")
    chromium = find_chromium()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rows = [summarize(page, measure(chromium, f"{base}/{page}?measure", args.width, Path(tmp) / str(i)))
                    for i, page in enumerate(pages)]
    finally:
        httpd.shutdown()
        httpd.server_close()
    print(markdown(rows))
    result = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"), "commit": commit(),
              "site": str(args.site), "width": args.width, "pages": rows}
    OUTPUT.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nwrote {OUTPUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
