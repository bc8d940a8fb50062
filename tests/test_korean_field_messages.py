"""Korean messages naming a field read naturally whatever the field's name: "{field} 항목은 …",
never "{field}은(는)" ("비상연락처 전화번호은(는)" read awkwardly)."""

from __future__ import annotations

import json
import re
from importlib.resources import files

BRACKETED_PARTICLE = re.compile(r"\{field\}(은\(는\)|을\(를\)|이\(가\)|과\(와\)|\(으\)로)")


def test_no_field_is_followed_by_a_bracketed_particle():
    messages = json.loads(files("app.translations").joinpath("ko.json").read_text(encoding="utf-8"))
    awkward = {k: v for k, v in messages.items() if isinstance(v, str) and BRACKETED_PARTICLE.search(v)}
    assert awkward == {}
    assert messages["errcode_invalid_parameter_not_a_phone"].startswith("{field} 항목은 ")
