"""The core packages stay free of the web stack."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"
FORBIDDEN = {"flask", "folium", "werkzeug"}


@pytest.mark.parametrize("package", ["geo", "search", "planning"])
def test_core_imports_no_web_stack(package):
    for path in (APP / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path} imports {name}"


def test_start_page_labels_demo(client):
    page = client.get("/").get_data(as_text=True)
    assert "합성 데모 데이터" in page
    assert client.get("/healthz").json == {"status": "ok", "facilities": 10512, "database": "ok",
                                           "synthetic": True}
