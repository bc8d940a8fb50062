"""Lighthouse on the pages, phone and desktop: Performance, Accessibility, Best Practices, SEO
and CLS per page, plus the Best Practices findings (and which of them are only base map tile
requests, which cannot load on a machine without the internet). Prints figures; not a test.

Run: .venv/bin/python bench/lighthouse.py [--pages / /embed ...] [--form mobile|desktop]
                                           [--json OUT.json] [--axe]

It installs Lighthouse (and axe-core for --axe) with npm into bench/.node/ the first time (not
committed: .gitignore), drives Debian's Chromium (/usr/bin/chromium, headless, no sandbox) and
starts gunicorn on the built-in demo registry on a free loopback port (base map tiles at their
configured, here unreachable, address: as a phone would see the page apart from the tiles).
--axe also injects axe-core with Playwright into each page (phone size) and lists serious,
critical and moderate findings.

Goal (issue 14): the parents' pages and /embed at Performance >= 95 on mobile with CLS < 0.05,
Accessibility 100, Best Practices 100 apart from tile requests, SEO 100.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_DIR = ROOT / "bench" / ".node"
LIGHTHOUSE = NODE_DIR / "node_modules" / ".bin" / "lighthouse"
AXE_JS = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"
NPM_PACKAGES = ["lighthouse@12.8.2", "axe-core@4.14.1"]
CHROMIUM = "/usr/bin/chromium"
PAGES = ["/", "/embed", "/programmes", "/provider", "/docs/api"]
# axe also looks at the pages Lighthouse does not score
AXE_PAGES = [*PAGES, "/embed/builder", "/admin/report", "/planner", "/?lang=en"]
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
TILE_HOST = "tile.openstreetmap.org"
# Unweighted findings the issue names: render-blocking files, caching, compression, layout shift
DIAGNOSTICS = ["render-blocking-insight", "render-blocking-resources", "cache-insight",
               "uses-long-cache-ttl", "document-latency-insight", "uses-text-compression",
               "cls-culprits-insight", "layout-shifts"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_tools() -> None:
    """npm install into bench/.node/ when Lighthouse or axe-core is missing."""
    if LIGHTHOUSE.exists() and AXE_JS.exists():
        return
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "install", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund",
                    *NPM_PACKAGES], check=True)


def start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "DOLBOM_RATELIMIT_ENABLED": "false"}
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
         "app.wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except OSError as e:  # not listening yet, or 503 (no database: still serves pages)
            if getattr(e, "code", None) == 503:
                return proc
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("gunicorn did not start within 180 s")


def run_lighthouse(url: str, form: str, out: Path) -> dict:
    cmd = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
           "--only-categories=" + ",".join(CATEGORIES),
           "--chrome-flags=--headless=new --no-sandbox --disable-gpu"]
    if form == "desktop":
        cmd.append("--preset=desktop")
    subprocess.run(cmd, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    return json.loads(out.read_text())


def failed_audits(report: dict, category: str) -> list[str]:
    """Audits of a category scoring below 1 (weight > 0), with a word on tile requests."""
    out = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = report["audits"][ref["id"]]
        if ref.get("weight", 0) == 0 or audit.get("score") is None or audit["score"] >= 1:
            continue
        items = (audit.get("details") or {}).get("items") or []
        text = json.dumps(items, ensure_ascii=False)
        tiles_only = bool(items) and all(TILE_HOST in json.dumps(i) for i in items)
        out.append(f"{ref['id']}{' (tile requests only)' if tiles_only else ''}"
                   f"{'' if TILE_HOST not in text or tiles_only else ' (partly tiles)'}")
    return out


def axe_findings(base: str, pages: list[str]) -> dict[str, list[str]]:
    from playwright.sync_api import sync_playwright

    found: dict[str, list[str]] = {}
    source = AXE_JS.read_text()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for width, height in ((390, 844), (1366, 900)):
            # bypass_csp: axe is injected as an inline script, which the pages' CSP refuses
            context = browser.new_context(viewport={"width": width, "height": height},
                                          bypass_csp=True)
            page = context.new_page()
            for path in pages:
                page.goto(base + path, wait_until="load")
                page.wait_for_timeout(1500)
                page.add_script_tag(content=source)
                result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
                for v in result["violations"]:
                    if v["impact"] in ("moderate", "serious", "critical"):
                        targets = [" ".join(map(str, n["target"])) for n in v["nodes"][:3]]
                        found.setdefault(f"{path} @{width}", []).append(
                            f"{v['impact']} {v['id']}: {'; '.join(map(str, targets))}")
            context.close()
        browser.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", nargs="+", default=PAGES)
    parser.add_argument("--form", choices=["mobile", "desktop"], action="append")
    parser.add_argument("--json", type=Path, help="write all figures here as JSON")
    parser.add_argument("--axe", action="store_true", help="also run axe-core on each page")
    parser.add_argument("--url", help="an already running server instead of starting gunicorn")
    parser.add_argument("--no-lighthouse", action="store_true", help="only axe (with --axe)")
    parser.add_argument("--reports", type=Path, help="keep each Lighthouse JSON report here")
    args = parser.parse_args()
    ensure_tools()
    # a SIGTERM stops the server too (the finally below)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    forms = args.form or ["mobile", "desktop"]
    proc = None
    if args.url:
        base = args.url.rstrip("/")
    else:
        port = free_port()
        proc = start_server(port)
        base = f"http://127.0.0.1:{port}"
    rows: list[dict] = []
    try:
        # a server in use: each worker has rendered each page once (first renders compile
        # templates and hash the asset folders)
        for path in args.pages:
            for _ in range(4):
                with urllib.request.urlopen(base + path, timeout=30) as r:
                    r.read()
        print(f"{'page':<12} {'form':<8} {'Perf':>4} {'A11y':>4} {'BP':>4} {'SEO':>4} "
              f"{'CLS':>6} {'LCP s':>6} {'FCP s':>6} {'bytes KiB':>9}")
        with tempfile.TemporaryDirectory() as tmp:
            for path in [] if args.no_lighthouse else args.pages:
                for form in forms:
                    name = (path.strip("/").replace("/", "-") or "index") + f"-{form}.json"
                    out = (args.reports or Path(tmp)) / name
                    report = run_lighthouse(base + path, form, out)
                    scores = {c: round(100 * (report["categories"][c]["score"] or 0))
                              for c in CATEGORIES}
                    audits = report["audits"]
                    row = {"page": path, "form": form, **scores,
                           "cls": audits["cumulative-layout-shift"]["numericValue"],
                           "lcp_s": audits["largest-contentful-paint"]["numericValue"] / 1000,
                           "fcp_s": audits["first-contentful-paint"]["numericValue"] / 1000,
                           "kib": audits["total-byte-weight"]["numericValue"] / 1024,
                           "failed": {c: failed_audits(report, c) for c in CATEGORIES},
                           "diagnostics": [a for a in DIAGNOSTICS if a in audits
                                           and audits[a].get("score") is not None
                                           and audits[a]["score"] < 1]}
                    rows.append(row)
                    print(f"{path:<12} {form:<8} {scores['performance']:>4} "
                          f"{scores['accessibility']:>4} {scores['best-practices']:>4} "
                          f"{scores['seo']:>4} {row['cls']:>6.3f} {row['lcp_s']:>6.2f} "
                          f"{row['fcp_s']:>6.2f} {row['kib']:>9.0f}", flush=True)
        print("\nfindings (audits below full score):")
        for row in rows:
            for c, ids in row["failed"].items():
                if ids:
                    print(f"  {row['page']} {row['form']} {c}: {', '.join(ids)}")
            if row["diagnostics"]:
                print(f"  {row['page']} {row['form']} diagnostics: {', '.join(row['diagnostics'])}")
        if args.axe:
            print("\naxe (serious, critical, moderate):")
            found = axe_findings(base, args.pages if args.pages != PAGES else AXE_PAGES)
            for where, items in found.items():
                for item in items:
                    print(f"  {where}: {item}")
            if not found:
                print("  none")
            rows.append({"axe": found})
        if args.json:
            args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    sys.exit(main())
