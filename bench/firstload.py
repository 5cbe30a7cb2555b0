"""First load: what the sign-in page costs a phone before anything shows, beside a blank Reflex
0.10.1 app built in the same run.

- **Bytes**: the page's HTML is fetched and every `<script src>`, `<link rel=stylesheet>` and
  `<link rel=modulepreload>` it names is fetched with `Accept-Encoding: gzip`, and the bytes on the
  wire counted (the body as served; a file served uncompressed counts at its full size). JS and CSS
  are counted apart. Then, as the browser really fetches it, every script and stylesheet Chromium
  downloads while loading the page (the JS modules import each other, and the route's chunks load
  after the HTML), by their encoded (on-the-wire) sizes from the DevTools protocol.
- **First contentful paint** in Chromium (/usr/bin/chromium through Playwright), with the DevTools
  protocol's mobile throttling: `Network.emulateNetworkConditions` at Lighthouse's mobile figures
  (150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up) and `Emulation.setCPUThrottlingRate` 4x; a
  fresh browser context (cold cache, no service worker) for every load, the two apps alternating.

The blank app is `reflex init --template blank --no-agents` in a temporary folder, run as ours is
(`reflex run --env prod --single-port`, the same environment: REFLEX_USE_SYSTEM_BUN=1 with
.tools/node_modules/.bin on PATH, telemetry off), unchanged: its rxconfig is what `reflex init`
writes (the Sitemap, Tailwind v4 and Radix Themes plugins on; ours turns them all off), and its
page is `/`.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

from bench.common import Result
from bench.live import ROOT, live_app
from tests.servers import free_port, stop, wait_until_up

BYTES_RATIO = 1.2  # JS + CSS (compressed) at most 1.2x the blank app's (issue 14)
PAGE = "/login"
LOADS = 5
THROTTLE = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8}


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.js: list[str] = []
        self.css: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "script" and a.get("src"):
            self.js.append(a["src"])
        elif tag == "link" and a.get("href"):
            rel = a.get("rel", "").lower().split()
            if "stylesheet" in rel or a.get("as") == "style":
                self.css.append(a["href"])
            elif "modulepreload" in rel or ("preload" in rel and a.get("as") == "script"):
                self.js.append(a["href"])


def _get(url: str) -> tuple[bytes, str]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip", "User-Agent": "anima-bench"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read(), response.headers.get("Content-Encoding", "")


def html_assets(url: str) -> dict:
    """Bytes on the wire of the JS and CSS the page's HTML names (gzip as served)."""
    body, encoding = _get(url)
    html = gzip.decompress(body).decode() if encoding == "gzip" else body.decode()
    parser = _Assets()
    parser.feed(html)
    out: dict = {"html_bytes": len(body), "js": {}, "css": {}, "uncompressed": []}
    for kind, refs in (("js", parser.js), ("css", parser.css)):
        for ref in dict.fromkeys(refs):
            data, enc = _get(urljoin(url, ref))
            out[kind][ref] = len(data)
            if enc != "gzip":
                out["uncompressed"].append(ref)
    out["js_bytes"] = sum(out["js"].values())
    out["css_bytes"] = sum(out["css"].values())
    return out


@contextlib.contextmanager
def blank_app() -> Iterator[str]:
    """A blank Reflex app (`reflex init --template blank`), run in production mode; yields its URL."""
    with tempfile.TemporaryDirectory(prefix="anima-bench-blank-") as folder:
        app_dir = Path(folder) / "blankapp"
        app_dir.mkdir()
        env = {
            **os.environ,
            "PATH": f"{ROOT / '.tools' / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "REFLEX_USE_SYSTEM_BUN": "1",
            "REFLEX_TELEMETRY_ENABLED": "false",
            "REFLEX_CHECK_LATEST_VERSION": "false",
            "REFLEX_HTTP_CLIENT_BIND_ADDRESS": "0.0.0.0",
        }
        for name in ("REFLEX_DB_URL", "REFLEX_REDIS_URL", "REFLEX_WEB_WORKDIR"):
            env.pop(name, None)
        reflex = str(Path(sys.executable).parent / "reflex")
        subprocess.run(
            [reflex, "init", "--template", "blank", "--no-agents"],
            cwd=app_dir,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        port = free_port()
        log_path = Path(folder) / "blank.log"
        print(f"    building and starting a blank Reflex app on port {port} ...", flush=True)
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [reflex, "run", "--env", "prod", "--single-port", "--frontend-port", str(port)]
                + ["--backend-port", str(port)],
                cwd=app_dir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_until_up(f"http://localhost:{port}", process, log_path, timeout=400)
            yield f"http://localhost:{port}"
        finally:
            stop(process)


def _chromium_path() -> str | None:
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    return None


def browser_loads(pages: dict[str, str], loads: int = LOADS) -> dict[str, dict]:
    """For each page: first contentful paint (ms) of ``loads`` throttled cold loads, and the JS/CSS
    bytes Chromium downloaded (encoded sizes) on the last of them."""
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
    out: dict[str, dict] = {name: {"fcp_ms": [], "js_bytes": 0, "css_bytes": 0} for name in pages}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium_path(), args=args)
        try:
            for _ in range(loads):
                for name, url in pages.items():
                    context = browser.new_context(
                        viewport={"width": 390, "height": 844}, is_mobile=True, service_workers="block"
                    )
                    page = context.new_page()
                    cdp = context.new_cdp_session(page)
                    cdp.send("Network.enable")
                    cdp.send("Network.emulateNetworkConditions", THROTTLE)
                    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
                    kinds: dict[str, str] = {}
                    sizes: dict[str, float] = {}
                    cdp.on("Network.responseReceived", lambda e, k=kinds: k.__setitem__(e["requestId"], e["type"]))
                    cdp.on(
                        "Network.loadingFinished",
                        lambda e, s=sizes: s.__setitem__(e["requestId"], e["encodedDataLength"]),
                    )
                    page.goto(url, wait_until="load", timeout=120_000)
                    fcp = None
                    deadline = time.monotonic() + 30
                    while fcp is None and time.monotonic() < deadline:
                        fcp = page.evaluate(
                            "() => { const e = performance.getEntriesByName('first-contentful-paint')[0];"
                            " return e ? e.startTime : null; }"
                        )
                        if fcp is None:
                            page.wait_for_timeout(200)
                    page.wait_for_timeout(500)  # late chunks
                    out[name]["fcp_ms"].append(fcp)
                    out[name]["js_bytes"] = sum(v for k, v in sizes.items() if kinds.get(k) == "Script")
                    out[name]["css_bytes"] = sum(v for k, v in sizes.items() if kinds.get(k) == "Stylesheet")
                    context.close()
        finally:
            browser.close()
    return out


def _kb(n: float) -> float:
    return n / 1024


def firstload(*, loads: int = LOADS) -> list[Result]:
    with live_app(need_database=False) as app, blank_app() as blank_url:
        ours = html_assets(app.url + PAGE)
        blank = html_assets(blank_url + "/")
        seen = browser_loads({"anima": app.url + PAGE, "blank": blank_url + "/"}, loads)
    rows = []
    ours_total, blank_total = ours["js_bytes"] + ours["css_bytes"], blank["js_bytes"] + blank["css_bytes"]
    ratio = ours_total / blank_total if blank_total else float("inf")
    rows.append(
        Result(
            "first load: JS + CSS named by the HTML (gzip)",
            "http",
            "kB",
            runs=1,
            value=_kb(ours_total),
            target=f"<= {BYTES_RATIO:g}x blank",
            passed=ratio <= BYTES_RATIO,
            note=(
                f"{app.setup}; {PAGE}: JS {_kb(ours['js_bytes']):.1f} kB in {len(ours['js'])} files, "
                f"CSS {_kb(ours['css_bytes']):.1f} kB in {len(ours['css'])}; blank app /: JS "
                f"{_kb(blank['js_bytes']):.1f} kB in {len(blank['js'])}, CSS {_kb(blank['css_bytes']):.1f} kB in "
                f"{len(blank['css'])}; {ratio:.2f}x"
                + (
                    f"; served uncompressed: {ours['uncompressed'] + blank['uncompressed']}"
                    if ours["uncompressed"] or blank["uncompressed"]
                    else ""
                )
            ),  # fmt: skip
            extra={"anima": ours, "blank": blank, "ratio": ratio},
        )
    )
    o, b = seen["anima"], seen["blank"]
    seen_ours, seen_blank = o["js_bytes"] + o["css_bytes"], b["js_bytes"] + b["css_bytes"]
    seen_ratio = seen_ours / seen_blank if seen_blank else float("inf")
    rows.append(
        Result(
            "first load: JS + CSS Chromium downloads",
            "chromium",
            "kB",
            runs=1,
            value=_kb(seen_ours),
            target=f"<= {BYTES_RATIO:g}x blank",
            passed=seen_ratio <= BYTES_RATIO,
            note=(
                f"encoded sizes: {PAGE} JS {_kb(o['js_bytes']):.1f} kB + CSS {_kb(o['css_bytes']):.1f} kB; blank "
                f"JS {_kb(b['js_bytes']):.1f} kB + CSS {_kb(b['css_bytes']):.1f} kB; {seen_ratio:.2f}x"
            ),
            extra={"ratio": seen_ratio},
        )
    )
    for name, label in (("blank", "blank Reflex app /"), ("anima", f"Anima {PAGE}")):
        fcps = [f for f in seen[name]["fcp_ms"] if f is not None]
        rows.append(
            Result(
                f"first contentful paint: {label}",
                "chromium",
                "ms",
                runs=len(fcps),
                median=statistics.median(fcps) if fcps else None,
                p95=max(fcps) if fcps else None,
                note="mobile throttling: 150 ms RTT, 1.6 Mbit/s down, CPU 4x; cold cache; p95 column = slowest"
                + (f"; {len(seen[name]['fcp_ms']) - len(fcps)} loads without an FCP" if len(fcps) < loads else ""),
                extra={"fcp_ms": seen[name]["fcp_ms"]},
            )
        )
    if seen["anima"]["fcp_ms"] and seen["blank"]["fcp_ms"]:
        ours_fcp = [f for f in seen["anima"]["fcp_ms"] if f is not None]
        blank_fcp = [f for f in seen["blank"]["fcp_ms"] if f is not None]
        if ours_fcp and blank_fcp:
            rows[
                -1
            ].note += f"; median {statistics.median(ours_fcp) / statistics.median(blank_fcp):.2f}x the blank app's"
    return rows
