"""import-facilities reports rows read as they are read, per file, not once at the end."""

from __future__ import annotations

from pathlib import Path

from app.ingest.pipeline import PROGRESS_EVERY_ROWS, import_files

PORTAL_TINY = Path(__file__).parent / "data" / "portal_tiny.csv"


def _portal(tmp_path: Path, name: str, rows: int) -> Path:
    """The tiny portal file's header and its first (valid) row repeated ``rows`` times, each a
    distinct provider 1 m further east."""
    lines = PORTAL_TINY.read_text(encoding="utf-8").splitlines()
    header, row = lines[0], lines[1].split(",")
    out = [header]
    for i in range(rows):
        r = list(row)
        r[2] = f"매탄{i}어린이집"
        r[16] = f"{127.0450 + i * 0.00001:.5f}"
        out.append(",".join(r))
    path = tmp_path / name
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def test_progress_every_thousand_rows_per_file(tmp_path):
    a = _portal(tmp_path, "a.csv", 2 * PROGRESS_EVERY_ROWS + 500)
    b = _portal(tmp_path, "b.csv", 300)
    calls: list[tuple[str, int]] = []
    result = import_files([a, b], progress=lambda name, n: calls.append((name, n)))
    # Then placing, out of 2800: 2 rows refused while reading (rows 500 and 1500 of a.csv have
    # x 127.05000 and 127.06000, read as 2 decimals: too coarse), then 1000 and 2000 rows of
    # the rest placed, then all of them.
    assert calls == [("a.csv", 1000), ("a.csv", 2000), ("a.csv", 2500), ("b.csv", 300),
                     ("", 2), ("", 1002), ("", 2002), ("", 2800)]
    assert result.read == 2800


def test_cli_summary_names_the_date_and_each_file(runner, tmp_path):
    out = tmp_path / "registry.geojson"
    result = runner.invoke(args=["import-facilities", str(PORTAL_TINY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("import of 1 file(s) on 20") and "(Asia/Seoul)" in first
    assert "portal_tiny.csv [어린이집 정보공개포털 기본정보]: read 11 = accepted" in result.output


def test_placing_bar_counts_out_of_every_row_read():
    from app.commands.registry import _ProgressBars

    bars = _ProgressBars()
    bars("a.csv", 1000)
    bars("a.csv", 2500)
    bars("b.csv", 300)
    bars("", 2)
    assert bars._bar is not None and (bars._bar.total, bars._bar.n) == (2800, 2)
    bars("", 2002)
    assert bars._bar.n == 2002  # the bar moves while rows are placed, not only at the end
    bars.close()
