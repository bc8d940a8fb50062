"""``particles`` in app/static/js/common.js, run in Chromium, against the particle table shared
with app/korean.py (tests/data/korean_particles.json; tests/test_korean_particles_table.py runs
the same table through the server's rules), so the two stay in step."""

from __future__ import annotations

import pytest

from ..test_korean_particles_table import TABLE, expected_cases
from . import care_steps as steps

pytestmark = pytest.mark.browser


def test_the_pages_read_the_shared_table(browser, live):
    cases = expected_cases(TABLE)
    context, page, errors = steps.phone(browser, live, "ko-KR")
    try:
        page.goto(live["app"] + "/programmes")
        got = page.evaluate("""async (texts) => {
            const m = await import("/static/js/common.js");
            return texts.map((text) => m.particles(text));
        }""", [text for text, _ in cases])
        wrong = [(text, reads, read) for (text, reads), read in zip(cases, got, strict=True) if read != reads]
        assert wrong == []
        assert errors == []
    finally:
        context.close()
