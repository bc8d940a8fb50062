"""The core packages stay free of the web stack, and no package reaches into another's
private names (issue 13)."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"
FORBIDDEN = {"flask", "folium", "werkzeug"}


CORE = ["geo", "search", "planning", "ingest", "registry", "live", "db", "reference", "care"]


def imports(path: Path, root: Path = APP.parent) -> list[tuple[str, list[str]]]:
    """(module, names imported from it) for every import in ``path`` (under ``root``),
    relative ones resolved."""
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            found.append((module, [a.name for a in node.names]))
    return found


@pytest.mark.parametrize("package", CORE)
def test_core_imports_no_web_stack(package):
    for path in (APP / package).rglob("*.py"):
        for module, _ in imports(path):
            assert module.split(".")[0] not in FORBIDDEN, f"{path} imports {module}"


def test_no_package_imports_another_packages_private_names():
    """``from app.x.y import _name`` from outside ``app.x`` reaches behind x's public face."""
    for path in APP.rglob("*.py"):
        own = ".".join(path.relative_to(APP.parent).parts[:2])  # app.<package>
        for module, names in imports(path):
            if not module.startswith("app.") or module.split(".")[:2] == own.split("."):
                continue
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            assert not private, f"{path} imports {private} from {module}"
            assert not any(part.startswith("_") and not part.startswith("__")
                           for part in module.split(".")), f"{path} imports private {module}"


def test_the_guards_see_a_violation(tmp_path):
    """The checks above would fail: a Flask import and a private import are found."""
    probe = tmp_path / "app" / "geo" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text("from flask import Flask\nfrom app.search.index import _walk\n"
                     "from .crs import _private\n")
    found = imports(probe, tmp_path)
    assert ("flask", ["Flask"]) in found and ("app.search.index", ["_walk"]) in found
    assert ("app.geo.crs", ["_private"]) in found


def test_start_page_labels_demo(demo_client):
    client = demo_client
    page = client.get("/").get_data(as_text=True)
    assert "합성 데모 데이터" in page
    assert client.get("/healthz").json == {"status": "ok", "facilities": 10512, "database": "ok",
                                           "synthetic": True}
