"""The built site in headless Chromium: pages load, math is typeset, images exist, glue is resolved,
and no request leaves localhost.

The site comes from a session fixture: with ``RMTLIB_SITE_BUILT=1`` (``make site-check``, used by
``.ci/run`` after ``make book``) it must already be in ``_build/html``; otherwise the fixture builds it
the way ``make book`` does, reusing the notebooks that ``tests/test_notebooks.py`` executed with the
quick profile. Locally a missing Chromium skips these tests; in CI (``CI=true``) it fails them.
"""

from __future__ import annotations

import contextlib
import functools
import html
import html.parser
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest

from rmtlib.compendium import execution
from rmtlib.compendium.bookpages import write_pages

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "site-check"
IN_CI = os.environ.get("CI", "").lower() == "true"
PREBUILT = os.environ.get("RMTLIB_SITE_BUILT") == "1"
CHROMIUM = os.environ.get("RMTLIB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--disable-default-apps", "--disable-extensions", "--mute-audio",
         "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
pytestmark = pytest.mark.site


def _unavailable(message):
    if IN_CI or PREBUILT:
        pytest.fail(message + " (required in CI)", pytrace=False)
    pytest.skip(message)


def build_site():
    """Execute missing or stale notebooks (quick), write the generated pages, run jupyter-book."""
    for nb in execution.notebooks():
        try:
            execution.execute_for_book(nb, "quick", progress=False)
        except execution.NotebookError as exc:
            pytest.fail(f"cannot build the site: {exc}", pytrace=False)
    write_pages()
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    toc = os.environ.get("RMTLIB_TOC") or "_toc.yml"  # `make test TOC=...` builds another toc
    proc = subprocess.run([str(jupyter_book), "build", str(ROOT), "-W", "-n", "--keep-going", "--toc", toc],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.fail("jupyter-book build failed:\n" + (proc.stdout + proc.stderr)[-6000:], pytrace=False)


@pytest.fixture(scope="session")
def site():
    if not PREBUILT:
        build_site()
    if not (SITE / "index.html").is_file():
        _unavailable(f"no built site at {SITE}")
    return SITE


@pytest.fixture(scope="session")
def chromium():
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable("Chromium is not installed (apt-get install chromium)")
    return CHROMIUM


class _Handler(SimpleHTTPRequestHandler):
    missing: list = []

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass

    def send_error(self, code, message=None, explain=None):
        self.missing.append((code, self.path))
        super().send_error(code, message, explain)


@contextlib.contextmanager
def serve(directory):
    """Serve a directory on a free localhost port; yield (base URL, list of failed requests)."""
    handler = type("Handler", (_Handler,), {"missing": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler.missing
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture(scope="session")
def server(site):
    with serve(site) as served:
        yield served


def pages(site):
    skip = {"_static", "_sources", "_images", "_sphinx_design_static"}
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if not skip & set(p.relative_to(site).parts))


def _load_netlog(path: Path) -> dict:
    text = path.read_text(errors="replace").rstrip()
    for suffix in ("", "]}", "}]}", "{}]}"):
        try:
            return json.loads(text.rstrip(",") + suffix)
        except json.JSONDecodeError:
            continue
    raise AssertionError(f"unreadable net log {path}")


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).hostname or ""


def requests_in(netlog: dict) -> list[tuple[str, str]]:
    """Every URL request of a Chromium net log as (url, initiator)."""
    by_source = {}
    for event in netlog.get("events", []):
        params = event.get("params") or {}
        source = event.get("source", {}).get("id")
        if "url" in params or "initiator" in params:
            entry = by_source.setdefault(source, {"url": "", "initiator": ""})
            if isinstance(params.get("url"), str) and "://" in params["url"] and not entry["url"]:
                entry["url"] = params["url"]
            if isinstance(params.get("initiator"), str):
                entry["initiator"] = params["initiator"]
    return [(e["url"], e["initiator"]) for e in by_source.values()
            if urllib.parse.urlsplit(e["url"]).scheme in ("http", "https", "ws", "wss")]


def site_requests(netlog: dict, origin: str) -> tuple[set, set]:
    """Split remote hosts into (requested by the page, requested by the browser itself).

    A request belongs to the page when its URL is local or its initiator is the local origin (every
    subresource, script fetch, redirect or frame the page asks for); Chromium's own background
    requests (clock, account and update services) have no origin as initiator.
    """
    page, browser = set(), set()
    for url, initiator in requests_in(netlog):
        host = _host(url)
        if host in LOCAL_HOSTS:
            continue
        (page if initiator.startswith(origin) else browser).add(host)
    return page, browser


def visit(chromium, url, workdir: Path, *, screenshot=None, width=1200):
    """Load one page in headless Chromium; return (DOM text, remote hosts the page requested).

    Everything but loopback goes to a closed proxy port, so no request can leave the machine even
    if one is made; the net log records every attempt.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    netlog = workdir / "netlog.json"
    cmd = [chromium, *FLAGS, f"--user-data-dir={workdir / 'profile'}", f"--log-net-log={netlog}",
           "--proxy-server=http://127.0.0.1:9", "--virtual-time-budget=20000", f"--window-size={width},1600"]
    cmd += [f"--screenshot={screenshot}"] if screenshot else ["--dump-dom"]
    proc = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, f"chromium failed on {url}: {proc.stderr[-2000:]}"
    origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(url))
    page, _browser = site_requests(_load_netlog(netlog), origin)
    return proc.stdout, page


@pytest.fixture(scope="session")
def rendered(site, chromium, server, tmp_path_factory):
    """Every page of the site, loaded once: {page: (static html, DOM, hosts)}."""
    base, _ = server
    tmp = tmp_path_factory.mktemp("chromium")
    names = pages(site)

    def one(item):
        index, name = item
        dom, hosts = visit(chromium, f"{base}/{name}", tmp / f"page{index}")
        return name, ((site / name).read_text(), dom, hosts)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, enumerate(names)))


def test_every_page_loads(rendered, server):
    _, missing = server
    assert "index.html" in rendered and len(rendered) >= 5
    for name, (_, dom, _) in rendered.items():
        assert "</html>" in dom and "<title>" in dom, f"{name} did not load"
    missing = [m for m in missing if m[1] != "/favicon.ico"]  # asked for by the browser itself
    assert not missing, f"requests for missing files: {missing}"


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.math, self.scripts = [], 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if "math" in classes and tag in ("span", "div"):
            self.math += 1
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])


def _parse(text):
    parser = _Tags()
    parser.feed(text)
    return parser


def test_math_is_typeset_by_local_mathjax(rendered, site):
    typeset = 0
    for name, (static, dom, _) in rendered.items():
        tags = _parse(static)
        mathjax = [s for s in tags.scripts if "mathjax" in s.lower()]
        if tags.math:
            assert mathjax and all(not s.startswith(("http:", "https:", "//")) for s in mathjax), \
                f"{name}: MathJax must be served from the site, got {mathjax}"
            containers = dom.count("<mjx-container")
            assert containers >= tags.math, f"{name}: {tags.math} math elements but {containers} typeset"
            assert "<mjx-merror" not in dom, f"{name}: MathJax reported a TeX error"
            typeset += 1
    assert typeset >= 2, "expected math on the intro and on the chapters"
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()


def test_every_image_exists(rendered, site):
    count = 0
    for name, (static, _, _) in rendered.items():
        for src in _parse(static).images:
            if src.startswith("data:"):
                continue
            assert not src.startswith(("http:", "https:", "//")), f"{name}: remote image {src}"
            target = (site / name).parent / urllib.parse.unquote(src.split("#")[0].split("?")[0])
            assert target.resolve().is_file(), f"{name}: image {src} does not exist"
            count += 1
    chapters = [n for n in rendered if n.startswith("book/results/")]
    assert not chapters or count >= len(chapters), "every chapter has at least one figure"


TEXT_ROLE = re.compile(r"\{glue:text\}`")
INLINE_ROLE = re.compile(r"\{glue:?\}`")


def test_glued_numbers_are_present(rendered):
    chapters = [n for n in rendered if n.startswith("book/results/")]
    assert chapters, "no chapter page in the site"
    for name in chapters:
        static = rendered[name][0]
        executed = execution.RESULTS_DIR / f"{Path(name).stem}.ipynb"  # what the page was built from
        nb = nbformat.read(executed, as_version=4)
        prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown"
                          and "remove-cell" not in c.metadata.get("tags", []))
        pasted = re.findall(r'<span class="pasted-text">([^<]*)</span>', static)
        roles = len(TEXT_ROLE.findall(prose))
        assert len(pasted) >= roles, f"{name}: {roles} glue:text roles but {len(pasted)} pasted values"
        assert all(p.strip() for p in pasted), f"{name}: empty glued value"
        inline = len(INLINE_ROLE.findall(prose))
        assert static.count('class="pasted-inline') >= inline, f"{name}: unresolved glue roles"
        assert "{glue" not in static, f"{name}: unresolved glue role"


def test_no_request_leaves_localhost(rendered):
    for name, (static, _, hosts) in rendered.items():
        assert not hosts, f"{name}: the page requested {sorted(hosts)}"
        for url in re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', static):
            assert "cdn" not in url.lower() and not url.endswith(".js"), f"{name}: remote asset {url}"


def test_screenshot_of_a_chapter(site, chromium, server, tmp_path):
    base, _ = server
    chapters = sorted(n for n in pages(site) if n.startswith("book/results/"))
    page = "book/results/toolkit.html" if "book/results/toolkit.html" in chapters else "index.html"
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / (Path(page).stem + ".png")
    _, hosts = visit(chromium, f"{base}/{page}", tmp_path / "shot", screenshot=shot)
    assert shot.is_file() and shot.stat().st_size > 10_000
    assert not hosts


def test_the_request_check_catches_a_remote_asset(chromium, tmp_path):
    """Mutation test of the check above: a page that loads a CDN script and image is caught."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "page.html").write_text(
        '<html><head><title>t</title><script src="https://cdn.example.com/lib.js"></script></head>'
        '<body><img src="http://images.example.org/x.png"></body></html>')
    with serve(tmp_path / "site") as (base, _):
        _, hosts = visit(chromium, f"{base}/page.html", tmp_path / "visit")
    assert hosts == {"cdn.example.com", "images.example.org"}


def test_the_intro_opens_with_the_status_panel_and_a_captioned_figure(rendered):
    static = rendered["book/intro.html"][0]
    panel = static.split("rmtlib-status", 1)
    assert len(panel) == 2, "the intro has no status panel"
    assert static.index("rmtlib-status") < static.index('id="the-four-papers"'), "the panel is not up front"
    for field in ("Checks", "Profile", "Built", "commit", "Environment", "check passes"):
        assert field in panel[1], f"the status panel does not say {field!r}"
    figures = re.findall(r"<figure[^>]*>(.*?)</figure>", static, re.S)
    assert figures and all("<figcaption" in f for f in figures), "a figure of the intro has no caption"
    assert all('alt=""' not in f and "alt=" in f for f in figures), "a figure of the intro has no alt text"


BUILD_PATH = re.compile("|".join(re.escape(p) for p in {str(ROOT), "/tmp/", "PosixPath("}))
WARNING = re.compile(r"\b[A-Z][A-Za-z]*Warning: |output stderr|IPKernelApp")


def test_no_build_path_and_no_warning_in_any_page(rendered):
    for name, (static, _, _) in rendered.items():
        body = static.split("<body", 1)[-1]
        paths = BUILD_PATH.findall(body)
        assert not paths, f"{name} shows a build path: {paths[:3]}"
        warnings = WARNING.findall(body)
        assert not warnings, f"{name} shows Python warnings or stderr: {warnings[:3]}"


def test_chapters_show_checks_once_and_end_with_the_rerun_box(rendered):
    chapters = [n for n in rendered if n.startswith("book/results/")]
    assert chapters
    for name in chapters:
        static = rendered[name][0]
        assert "rmtlib-checks" in static, f"{name}: no check box"
        assert not re.search(r"<strong>(PASS|FAIL)</strong>", static), f"{name}: inline PASS paragraphs"
        text = re.sub(r"<[^>]+>", "", static)
        assert "Rerun this chapter" in text and f"rmtlib run {Path(name).stem}" in text, name
        assert "reproduction.html#report-" in static, f"{name}: no link to its part of the report"


def test_dashes_and_bibliography_labels(rendered):
    assert "--with-freealg" in rendered["book/benchmarks.html"][0]
    bibliography = rendered["book/bibliography.html"][0]
    assert "Marčenko and Pastur, 1967" in bibliography
    assert not re.search(r"\[[A-Z][A-Za-z]+[A-Z]\d\d\]", bibliography), "alpha-style labels"


class _Measuring(SimpleHTTPRequestHandler):
    """Serves the site; an HTML page asked for with ``?measure`` gets a script that writes, into the
    DOM, the right edges of the report's verdict cells, of its tables and of the content column."""

    SCRIPT = (b"<script>window.addEventListener('load', () => { const r = x => x.getBoundingClientRect();"
              b"const main = document.querySelector('article.bd-article') || document.querySelector('article') || document.body;"
              b"const out = {width: window.innerWidth, column: r(main).right,"
              b"verdicts: [...document.querySelectorAll('table.rmtlib-report td.rmtlib-verdict')].map(c => r(c).right),"
              b"tables: [...document.querySelectorAll('table.rmtlib-report')].map(t => r(t).right)};"
              b"const pre = document.createElement('pre'); pre.id = 'rmtlib-measure';"
              b"pre.textContent = JSON.stringify(out); document.body.appendChild(pre); });</script>")

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass

    def send_head(self):
        if not self.path.endswith("?measure"):
            return super().send_head()
        path = Path(self.translate_path(self.path.split("?")[0]))
        body = path.read_bytes().replace(b"</body>", self.SCRIPT + b"</body>")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@pytest.mark.parametrize("width", [1300, 420])
def test_the_report_verdict_column_is_visible(site, chromium, tmp_path, width):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Measuring, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/book/reproduction.html?measure"
        dom, _ = visit(chromium, url, tmp_path / "measure", width=width)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
    found = re.search(r'<pre id="rmtlib-measure"[^>]*>([^<]*)</pre>', dom)
    assert found, "the measuring script did not run"
    m = json.loads(html.unescape(found.group(1)))
    assert m["verdicts"], "the report has no verdict column"
    assert max(m["verdicts"]) <= min(m["width"], m["column"]) + 1, f"verdict column off screen: {m}"
    if width >= 1000:  # at book width every table fits its column
        assert max(m["tables"]) <= m["column"] + 1, f"a report table is wider than its column: {m}"


def test_a_report_link_opens_the_check_box_in_its_chapter(rendered, chromium, server, tmp_path):
    report = rendered["book/reproduction.html"][0]
    link = re.search(r'href="(results/[a-z_]+\.html)#(check-[A-Za-z0-9_]+)"', report)
    assert link, "the report links no check to its chapter"
    page, anchor = link.groups()
    assert f'id="{anchor}"' in rendered[f"book/{page}"][0], f"{page} has no row {anchor}"
    base, _ = server
    dom, _ = visit(chromium, f"{base}/book/{page}#{anchor}", tmp_path / "link")
    before = dom[:dom.index(f'id="{anchor}"')]
    opening = before[before.rindex("<details"):]
    assert re.match(r"<details[^>]*\bopen\b", opening), "the check's box stays closed"


VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
FIG_NUMBER = re.compile(r"^Fig\. \d+(\.\d+)*$")
FILE_NAME = re.compile(r"\.(png|jpe?g|svg|gif|webp)\b|[0-9a-f]{16}|/", re.I)


class _Figures(html.parser.HTMLParser):
    """The images of the article, each as {src, alt, figure}; figure (or None) holds whether it has a
    caption and the text of its caption number and caption text."""

    def __init__(self):
        super().__init__()
        self.stack, self.images = [], []  # stack: (tag, role, figure of the element or None)

    def _inside(self, role):
        return any(r == role for _, r, _ in self.stack)

    def _figure(self):
        return next((f for _, r, f in reversed(self.stack) if r == "figure"), None)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "img" and self._inside("article"):
            self.images.append({"src": attrs.get("src") or "", "alt": attrs.get("alt") or "",
                                "figure": self._figure()})
        if tag in VOID_TAGS:
            return
        role = ("article" if tag == "article" else
                "figure" if tag == "figure" or (tag == "div" and "figure" in classes) else
                "caption" if tag == "figcaption" or "caption" in classes else
                "number" if "caption-number" in classes else
                "text" if "caption-text" in classes else None)
        figure = {"captioned": False, "number": "", "text": ""} if role == "figure" else None
        if role == "caption" and self._figure() is not None:
            self._figure()["captioned"] = True
        self.stack.append((tag, role, figure))

    def handle_endtag(self, tag):
        if any(t == tag for t, _, _ in self.stack):  # close the element and any left open inside it
            while self.stack.pop()[0] != tag:
                pass

    def handle_data(self, data):
        figure = self._figure()
        if figure is not None and self._inside("caption"):
            for role in ("number", "text"):
                if self._inside(role):
                    figure[role] += data


def content_images(static: str) -> list[dict]:
    """The ``<img>`` of a page's article (the theme's logos and icons lie outside it), with figures."""
    parser = _Figures()
    parser.feed(static)
    return parser.images


def figure_problems(static: str) -> list[str]:
    """What keeps each content image of a page from being a numbered, captioned figure with alt text."""
    problems = []
    for image in content_images(static):
        name, fig, alt = Path(image["src"]).name, image["figure"], image["alt"].strip()
        if fig is None:
            problems.append(f"{name}: not inside a <figure>")
            continue
        if not fig["captioned"]:
            problems.append(f"{name}: its figure has no caption")
        if not FIG_NUMBER.match(fig["number"].strip()):
            problems.append(f"{name}: caption number {fig['number'].strip()!r} is not 'Fig. N'")
        if not fig["text"].strip():
            problems.append(f"{name}: empty caption text")
        if len(alt.split()) < 4 or FILE_NAME.search(alt):
            problems.append(f"{name}: alt text {alt[:60]!r} is not a sentence")
    return problems


def test_every_chapter_figure_is_numbered_and_captioned(rendered):
    chapters = sorted(n for n in rendered if n.startswith("book/results/"))
    assert chapters, "no chapter page in the site"
    problems = [f"{name}: {p}" for name in chapters for p in figure_problems(rendered[name][0])]
    assert not problems, f"{len(problems)} chapter figure problems:\n" + "\n".join(problems)
    assert all(content_images(rendered[name][0]) for name in chapters), "a chapter has no figure"


def test_the_figure_check_catches_a_bare_output_image():
    """Mutation test of the check above: a captioned figure passes, a cell-output image does not."""
    good = ('<article><figure id="f"><img alt="Histogram of eigenvalues under a red curve." src="_images/a.png"/>'
            '<figcaption><p><span class="caption-number">Fig. 3.2 </span><span class="caption-text">'
            'Eigenvalues.</span><a class="headerlink" href="#f">#</a></p></figcaption></figure></article>')
    assert figure_problems(good) == []
    assert figure_problems('<nav><img alt="logo" src="_static/logo.png"/></nav>' + good) == []
    bare = ('<article><div class="cell_output"><img alt="../_images/0a1b2c3d4e5f6a7b8c9d.png" '
            'src="_images/b.png"/></div></article>')
    assert figure_problems(bare) == ["b.png: not inside a <figure>"]
    hashed = good.replace("Histogram of eigenvalues under a red curve.", "../_images/0a1b2c3d4e5f6a7b8c9d.png")
    assert figure_problems(hashed) == ["a.png: alt text '../_images/0a1b2c3d4e5f6a7b8c9d.png' is not a sentence"]
    unnumbered = good.replace("Fig. 3.2 ", "").replace("Eigenvalues.", "")
    assert figure_problems(unnumbered) == ["a.png: caption number '' is not 'Fig. N'", "a.png: empty caption text"]
