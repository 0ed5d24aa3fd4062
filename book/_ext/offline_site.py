"""Sphinx extension: keep the built site free of remote assets.

Jupyter Book always loads sphinx-thebe, which writes the address of its JavaScript bundle on a CDN
into every page (it is fetched only when a reader starts a live kernel, which this book does not
offer). This extension drops sphinx-thebe's scripts from every page and warns (so `-W` fails the
build) about any remaining script or stylesheet that is not served from the site itself.
"""

from sphinx.util import logging

logger = logging.getLogger(__name__)
REMOTE = ("http://", "https://", "//")


def _body(asset) -> str:
    return str(getattr(asset, "attributes", {}).get("body", "") or "")


def _filename(asset) -> str:
    return str(getattr(asset, "filename", asset) or "")


def strip_remote_assets(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts is not None:
        kept = [s for s in scripts if "thebe" not in _filename(s) and "THEBE_JS_URL" not in _body(s)]
        scripts[:] = kept
        for script in kept:
            if _filename(script).startswith(REMOTE) or any(r in _body(script) for r in REMOTE[:2]):
                logger.warning(f"{pagename}: remote script {_filename(script) or _body(script)[:80]!r}")
    for css in context.get("css_files") or []:
        if _filename(css).startswith(REMOTE):
            logger.warning(f"{pagename}: remote stylesheet {_filename(css)!r}")


def setup(app):
    app.connect("html-page-context", strip_remote_assets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
