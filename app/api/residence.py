"""The residence refusal as the care API says it: a booking or a care request of a programme for
families living in an area, with a home outside it, names the place the home is in ("부산광역시
사하구"), never a 시군구 code (tester pass 28: the booking API said "the home is in 26380")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from app.care.rules import HomeOutsideArea, NotEligible
from app.geo import admin

HOME_OUTSIDE = HomeOutsideArea.reason  # the residence refusal's reason (app.care.rules.check_family)


def place_name(where: tuple[float, float]) -> str:
    """The 시도 and 시군구 of the point ``where`` (lon, lat), Korean order ("경기도 수원시 장안구");
    "" outside every known area."""
    area = admin.locate([where[0]], [where[1]])[0]
    return " ".join(n for n in (area.sido, area.sigungu) if n) if area else ""


def home_outside(exc: HomeOutsideArea, field: str, where: tuple[float, float]) -> NotEligible:
    """The residence refusal ``exc`` naming the field the client sent for the home (``field``)
    and the place by name: "… is for families living in 경기도; the point (the home) is in
    부산광역시 사하구" ("the home is in …" when ``field`` is ``home``). ``where``: that field's
    (lon, lat). ``place_name`` in the envelope; "" outside every known area. The rule's words
    are ``exc``'s own parts (:attr:`HomeOutsideArea.rule`), never read back from its message."""
    name = place_name(where)
    rule = exc.rule
    what = "home" if field == "home" else f"{field} (the home)"
    return NotEligible(f"{rule}; the {what} is in {name or 'no known 시군구'}", field,
                       HOME_OUTSIDE, {**exc.extra, "place_name": name})


@contextmanager
def home_named(field: str, where: tuple[float, float] | None) -> Iterator[None]:
    """Re-raise a residence refusal (:class:`HomeOutsideArea`) inside as :func:`home_outside`
    for the home point ``where`` sent as ``field``; other errors, and any without ``where``, pass."""
    try:
        yield
    except HomeOutsideArea as exc:
        if where is None:
            raise
        raise home_outside(exc, field, where) from exc
