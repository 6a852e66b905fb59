"""Open an HTML report in headless Chromium (the system package) and report what it shows.

The page is copied beside itself with a small probe script added: it records every script
error and, once the page has loaded, whether each image decoded (``naturalWidth > 0``);
``--dump-dom`` prints the document after load, from which the probe's record is read.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

_PROBE = """<script>
window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message || e.target.src || e)); }, true);
window.addEventListener('load', function () {
  var imgs = Array.prototype.map.call(document.images, function (im) {
    return {src: im.getAttribute('src'), width: im.naturalWidth, height: im.naturalHeight, complete: im.complete};
  });
  var pre = document.createElement('pre');
  pre.id = '__probe';
  pre.textContent = JSON.stringify({errors: window.__errors, images: imgs, title: document.title});
  document.body.appendChild(pre);
});
</script>"""


def chromium() -> str | None:
    """Path of the Chromium binary, if installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def load_in_browser(page: Path, timeout: float = 120.0) -> dict:
    """{'errors': [...], 'images': [{'src', 'width', 'height', 'complete'}], 'title'} for ``page``."""
    binary = chromium()
    if binary is None:
        raise RuntimeError("chromium is not installed")
    html = page.read_text(encoding="utf-8")
    probe_page = page.with_name(f".probe-{page.name}")
    probe_page.write_text(html.replace("<head>", "<head>" + _PROBE, 1), encoding="utf-8")
    try:
        out = subprocess.run(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
             "--virtual-time-budget=20000", "--dump-dom", probe_page.resolve().as_uri()],
            capture_output=True, text=True, timeout=timeout, env={**os.environ, "HOME": str(page.parent)},
        )
    finally:
        probe_page.unlink()
    match = re.search(r'<pre id="__probe">(.*?)</pre>', out.stdout, re.S)
    if match is None:
        raise RuntimeError(f"the page did not finish loading in Chromium (exit {out.returncode}): {out.stderr[-500:]}")
    text = match.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return json.loads(text)
