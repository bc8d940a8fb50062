"""The text of notifications: per topic and language from ``messages.json`` (data), with times in
the registry's zone (Asia/Seoul) whatever the server's zone, and the child's first name as the
only child data; written for its audience (the guardian, or the provider's staff, whom the outbox
reaches through a facility: ``messages.json`` ``staff``), with Korean particles chosen from the
word before them (:func:`app.korean.particles`).

Only the fields listed in :data:`FIELDS` reach a message, each built from a known payload key; any
other payload key (ids, anything a writer added) is never rendered. ``{link}`` (a link to this
site made from the payload's relative ``path`` and the site's public address) and ``{reason}``
(the reason the provider's staff, or an administrator, gave for a decline or a cancellation: their
words to the family, quoted, on one line, at most :data:`REASON_MAX_CHARS`; never a family's own)
are allowed only in the topics of :data:`TOPIC_ONLY_FIELDS`.

Per topic, ``messages.json`` also says which channels may carry it (``channels``; absent: every
channel the person has), whether the person asked for it (``asked_for``: sent whatever their
notification opt-outs) and which payload fields are secrets (``secret_fields``: replaced by
:data:`SCRUBBED` once the message is sent or failed for good).
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib.resources import files
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from app.domain import DomainError
from app.i18n import catalogue as page_catalogue
from app.korean import particles
from app.reference import programmes

from ..references import booking_reference
from . import reasons

SEOUL = ZoneInfo("Asia/Seoul")
"""The zone every time in a message is shown in (the registry's: 경기도)."""
LOCALES = ("ko", "en")
GUARDIAN_AUDIENCE, STAFF_AUDIENCE = "guardian", "staff"
AUDIENCES = (GUARDIAN_AUDIENCE, STAFF_AUDIENCE)
"""Who a message is written for: the person named in the payload's ``to`` (a guardian), or the
staff of a provider named there (``{"facility_id": …}``)."""
PATTERN_FIELDS = frozenset({"dates", "weekdays", "repeat", "cadence", "times", "count"})
"""A pattern's summary (weekly, or a daily run), from the payload's ``occurrences``
(:func:`pattern_values`)."""
PATTERN_TOPICS = frozenset({"booking.pattern_requested", "booking.pattern_confirmed", "booking.pattern_declined",
                            "booking.pattern_expired", "booking.pattern_expiring"})
"""The topics of a pattern (weekly, or a daily run) booked, answered, lapsed or about to lapse as
one (one message for all its dates)."""
LIST_FIELDS = frozenset({"booking_list", "booking_count"})
"""The bookings one notice is about, from the payload's ``bookings`` (:func:`booking_list_values`)."""
LIST_TOPICS = frozenset({"booking.sharing_withdrawn", "booking.notes_withdrawn"})
"""The topics telling a provider of several bookings at once (a consent withdrawal: one message
per provider, however many of its bookings it reaches)."""
FIELDS = frozenset({"first_name", "facility", "programme", "window", "deadline", "expires", "link",
                    "reason", "reference"}) | PATTERN_FIELDS | LIST_FIELDS
TOPIC_ONLY_FIELDS = {"link": frozenset({"account.reset"}),
                     "reason": frozenset({"booking.declined", "booking.pattern_declined", "booking.cancelled"}),
                     **{name: PATTERN_TOPICS for name in PATTERN_FIELDS},
                     **{name: LIST_TOPICS for name in LIST_FIELDS}}
"""Fields a topic's text may use only when the topic is listed here: a link carries a secret
(a reset token), so no other topic's text can pull one out of a payload; a pattern's fields need
its ``occurrences``."""
PATTERN_MAX_OCCURRENCES = 200
"""More occurrences than a pattern can have (13 weeks × 7 days): a payload beyond is refused."""
SCRUBBED = "[removed once the message was sent or failed]"
"""What replaces a topic's ``secret_fields`` in the stored payload when the message is done."""
PATH_MAX_CHARS = 2000
_PATH = re.compile(r"/[!-~]*")  # a path of this site in printable ASCII (url_for percent-encodes the rest)
FIRST_NAME_MAX_CHARS = 40
REASON_MAX_CHARS = 300
"""The longest decline reason a message quotes (longer: cut, with an ellipsis)."""
_WEEKDAYS = {"ko": "월화수목금토일", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
KOREA_TIME_EN = " Korea time"
"""What follows an English time (never in parentheses: a window is often quoted in them)."""
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class RenderError(DomainError):
    """A message that cannot be written (unknown topic or language, a payload field missing or
    malformed); the worker fails it at once: no retry can fix it."""


@dataclass(frozen=True)
class Rendered:
    """One message in one language: ``title`` (the e-mail subject, the page's heading), ``body``
    (plain text) and the 알림톡 template code registered for it (empty: none, the topic does not
    go by 알림톡)."""

    locale: str
    title: str
    body: str
    alimtalk_template: str


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Any]:
    """The whole ``messages.json`` document, read once."""
    return json.loads(files("app.care.notify").joinpath("messages.json").read_text(encoding="utf-8"))


def topics() -> tuple[str, ...]:
    """Every topic that has text."""
    return tuple(sorted(catalogue()["topics"]))


def _spec(topic: str) -> dict[str, Any]:
    spec = catalogue()["topics"].get(topic)
    if spec is None:
        raise RenderError(f"no message text for topic {topic!r}: the topics are {', '.join(topics())}")
    return dict(spec)


def channels_of(topic: str) -> tuple[str, ...] | None:
    """The channels ``topic`` may go out on (``messages.json`` ``channels``: ``email``, ``sms``,
    ``in_page``), or None when every channel may carry it (also for a topic without text, which
    fails when rendered)."""
    found = catalogue()["topics"].get(topic, {}).get("channels")
    return None if found is None else tuple(found)


def asked_for(topic: str) -> bool:
    """Whether the person asked for messages of ``topic`` themselves (a password-reset link): they
    go out whatever the person's opt-outs of notifications."""
    return bool(catalogue()["topics"].get(topic, {}).get("asked_for", False))


def secret_fields(topic: str) -> tuple[str, ...]:
    """The payload fields of ``topic`` that must not be kept once the message is done."""
    return tuple(catalogue()["topics"].get(topic, {}).get("secret_fields", ()))


def link_topics() -> tuple[str, ...]:
    """The topics whose text carries ``{link}`` (they need the site's public address)."""
    return tuple(t for t in topics() if any("link" in _fields(catalogue()["topics"][t][lang]) for lang in LOCALES))


def language_of(payload: Mapping[str, Any], locale: str) -> str:
    """The language to write a message in: the payload's ``lang`` when it names one of
    :data:`LOCALES` (the person asked in it, e.g. on the reset form), else ``locale`` (the
    person's own)."""
    lang = payload.get("lang")
    return lang if isinstance(lang, str) and lang in LOCALES else locale


def _fields(texts: Mapping[str, str]) -> set[str]:
    return {name for text in (texts["title"], texts["body"])
            for _, name, _, _ in string.Formatter().parse(text) if name}


def make_link(base_url: str | None, path: Any) -> str:
    """``base_url`` (the site's public address, ``NOTIFY_PUBLIC_BASE_URL``, checked at start-up)
    followed by ``path`` (the payload's relative path: ``/…`` of this site, printable ASCII, no
    host). Raises :class:`RenderError` when the address is not set or the path is not such a path
    (the path is never quoted: it may carry a token)."""
    if not base_url:
        raise RenderError("NOTIFY_PUBLIC_BASE_URL is not set: a link in a message needs the site's public "
                          "https address (e.g. https://dolbom.example.kr), never a request's Host")
    if not isinstance(path, str) or not path:
        raise RenderError("payload field path is missing: a path of this site such as /account/reset/confirm?…")
    parts = urlsplit(path)
    if (len(path) > PATH_MAX_CHARS or not _PATH.fullmatch(path) or path.startswith("//") or "\\" in path
            or parts.scheme or parts.netloc):
        raise RenderError(f"payload field path must be a path of this site: '/' then at most {PATH_MAX_CHARS} "
                          "printable ASCII characters, no scheme, host or backslash")
    return base_url.rstrip("/") + path


def _time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise RenderError(f"payload field {field} must be an ISO 8601 time with an offset, not {value!r}")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise RenderError(f"payload field {field} is not an ISO 8601 time: {value!r}") from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise RenderError(f"payload field {field} must carry an offset (UTC): {value!r}")
    return at.astimezone(SEOUL)


def _day(at: datetime, locale: str) -> str:
    if locale == "ko":
        return f"{at.month}월 {at.day}일({_WEEKDAYS['ko'][at.weekday()]})"
    return f"{_WEEKDAYS['en'][at.weekday()]} {at.day} {_MONTHS_EN[at.month - 1]}"


def format_time(at: datetime, locale: str) -> str:
    """``at`` as a day and a time in Asia/Seoul: ``12월 3일(수) 18:00`` or ``Wed 3 Dec 18:00 Korea
    time`` (:data:`KOREA_TIME_EN`: no parentheses, so a time in a text's own parentheses never
    nests them)."""
    local = at.astimezone(SEOUL)
    text = f"{_day(local, locale)} {local:%H:%M}"
    return text if locale == "ko" else f"{text}{KOREA_TIME_EN}"


def format_window(start: datetime, end: datetime, locale: str) -> str:
    """The window ``[start, end)`` in Asia/Seoul: one day (``12월 3일(수) 09:00–13:00``; English
    ``Thu 3 Dec 09:00–13:00 Korea time``) or two."""
    start, end = start.astimezone(SEOUL), end.astimezone(SEOUL)
    if start.date() == end.date():
        text = f"{_day(start, locale)} {start:%H:%M}–{end:%H:%M}"
    else:
        text = f"{_day(start, locale)} {start:%H:%M} – {_day(end, locale)} {end:%H:%M}"
    return text if locale == "ko" else f"{text}{KOREA_TIME_EN}"


def every_day(days: list[date]) -> bool:
    """Whether ``days`` (in order) are two or more consecutive calendar days, each the day after
    the one before: a daily run (always_daycare's same hours on 2–5 days), or a weekly pattern
    that picked every weekday over its span; either is truly "every day". Nothing stored says
    a pattern's kind, so its dates decide."""
    return len(days) >= 2 and all(b - a == timedelta(days=1) for a, b in pairwise(days))


def pattern_values(payload: Mapping[str, Any], locale: str) -> dict[str, str]:
    """A pattern's summary fields from the payload's ``occurrences`` (a list of
    ``{"start", "end"}``, ISO 8601 with an offset), in Asia/Seoul:

    - ``dates``: the dates by month, ``12월 8·10·15일, 1월 5일`` / ``Dec 8, 10, 15; Jan 5``
      (the year only when the dates span two years: ``2027년 1월 5일`` / ``Jan 5 2027``);
    - ``weekdays``: the weekdays they fall on, Monday first, ``화·목`` / ``Tue, Thu``;
    - ``repeat``: how it repeats: ``매주 화·목`` / ``every Tue, Thu``, or for consecutive days
      (:func:`every_day`) ``매일`` / ``every day``;
    - ``cadence``: the same in one word, for a title: ``매주``/``매일``, ``Weekly``/``Daily``;
    - ``times``: the first occurrence's wall-clock window, ``19:00–21:00`` (an end on the next
      day: ``22:00–다음 날 01:00`` / ``22:00–01:00 next day``; English adds ``Korea time``);
    - ``count``: how many dates.

    Raises :class:`RenderError` when ``occurrences`` is missing, empty, too long or malformed."""
    found = payload.get("occurrences")
    if not isinstance(found, list) or not found or len(found) > PATTERN_MAX_OCCURRENCES:
        raise RenderError(f"payload field occurrences must be a list of 1 to {PATTERN_MAX_OCCURRENCES} "
                          "{'start', 'end'} windows")
    spans = []
    for item in found:
        if not isinstance(item, dict):
            raise RenderError("each item of payload field occurrences must be {'start': …, 'end': …}")
        spans.append((_time(item.get("start"), "occurrences.start"), _time(item.get("end"), "occurrences.end")))
    spans.sort()
    days = [s.date() for s, _ in spans]
    years = {d.year for d in days}
    months: dict[tuple[int, int], list[int]] = {}
    for d in days:
        months.setdefault((d.year, d.month), []).append(d.day)
    if locale == "ko":
        dates = ", ".join(("" if len(years) == 1 else f"{y}년 ") + f"{m}월 " + "·".join(map(str, ds)) + "일"
                          for (y, m), ds in months.items())
    else:
        dates = "; ".join(f"{_MONTHS_EN[m - 1]} " + ", ".join(map(str, ds)) + ("" if len(years) == 1 else f" {y}")
                          for (y, m), ds in months.items())
    order = sorted({d.weekday() for d in days})
    weekdays = ("·".join(_WEEKDAYS["ko"][w] for w in order) if locale == "ko"
                else ", ".join(_WEEKDAYS["en"][w] for w in order))
    start, end = spans[0]
    if end.date() == start.date():
        times = f"{start:%H:%M}–{end:%H:%M}"
    else:
        times = f"{start:%H:%M}–다음 날 {end:%H:%M}" if locale == "ko" else f"{start:%H:%M}–{end:%H:%M} next day"
    if locale != "ko":
        times += KOREA_TIME_EN
    daily = every_day(days)
    if locale == "ko":
        repeat, cadence = ("매일", "매일") if daily else (f"매주 {weekdays}", "매주")
    else:
        repeat, cadence = ("every day", "Daily") if daily else (f"every {weekdays}", "Weekly")
    return {"dates": dates, "weekdays": weekdays, "repeat": repeat, "cadence": cadence, "times": times,
            "count": str(len(spans))}


def booking_list_values(payload: Mapping[str, Any], locale: str) -> dict[str, str]:
    """The bookings a notice is about, from the payload's ``bookings`` (a list of
    ``{"programme", "window_start", "window_end", "reference"}``, times ISO 8601 with an
    offset), soonest first, each by its window in Asia/Seoul, programme and reference — never by
    the child: ``booking_list`` (``12월 4일(금) 19:00–21:00 초등 시설형 긴급돌봄(예약번호
    3F9A-2C7E); …`` / ``Fri 4 Dec 19:00–21:00, Elementary emergency care, ref. 3F9A-2C7E; …``,
    English times being Korea time, which the text says once) and ``booking_count``.

    Raises :class:`RenderError` when ``bookings`` is missing, empty, too long or malformed."""
    found = payload.get("bookings")
    if not isinstance(found, list) or not found or len(found) > PATTERN_MAX_OCCURRENCES:
        raise RenderError(f"payload field bookings must be a list of 1 to {PATTERN_MAX_OCCURRENCES} bookings")
    items = []
    for item in found:
        if not isinstance(item, dict):
            raise RenderError("each item of payload field bookings must be an object")
        start, end = _time(item.get("window_start"), "bookings.window_start"), _time(item.get("window_end"),
                                                                                       "bookings.window_end")
        reference = item.get("reference")
        if not isinstance(reference, str) or not reference.strip() or len(reference) > 20:
            raise RenderError("payload field bookings.reference must be a short text")
        items.append((start, end, _programme(item, locale), " ".join(reference.split())))
    items.sort(key=lambda x: (x[0], x[1]))
    if locale == "ko":
        text = "; ".join(f"{format_window(s, e, locale)} {p}(예약번호 {r})" for s, e, p, r in items)
    else:
        text = "; ".join(f"{format_window(s, e, locale).removesuffix(KOREA_TIME_EN)}, {p}, ref. {r}"
                         for s, e, p, r in items)
    return {"booking_list": text, "booking_count": str(len(items))}


def _first_name(payload: Mapping[str, Any], locale: str, audience: str = GUARDIAN_AUDIENCE) -> str:
    name = payload.get("first_name")
    if name is None or name == "":
        key = "fallback_first_name_staff" if audience == STAFF_AUDIENCE else "fallback_first_name"
        return str(catalogue()[key][locale])
    if not isinstance(name, str):
        raise RenderError(f"payload field first_name must be text, not {type(name).__name__}")
    name = " ".join(name.split())  # no line breaks or control spacing into a header or an SMS
    if len(name) > FIRST_NAME_MAX_CHARS:
        raise RenderError(f"payload field first_name is longer than {FIRST_NAME_MAX_CHARS} characters")
    return name


REASON_ROLES = frozenset({"provider_staff", "admin"})
"""Whose reason a message may quote (the payload's ``actor_role``): the provider's staff declining
or cancelling, an administrator cancelling; never the family's own (a cancel reason they typed)."""


def _reason(payload: Mapping[str, Any], locale: str) -> str:
    """The reason of a decline or cancellation by :data:`REASON_ROLES` (the payload's ``reason``
    and ``actor_role``): a preset (stored as its code, :mod:`.reasons`) in the reader's language,
    typed words as typed; on one line and quoted; none (or a change by anyone else):
    ``reason_none``."""
    text = payload.get("reason")
    if payload.get("actor_role") not in REASON_ROLES or not isinstance(text, str) or not text.split():
        return str(catalogue()["reason_none"][locale])
    text = reasons.text(text, locale) or text
    text = " ".join(text.split())
    if len(text) > REASON_MAX_CHARS:
        text = text[:REASON_MAX_CHARS - 1].rstrip() + "…"
    return f"“{text}”" if locale == "ko" else f'"{text}"'


def _programme(payload: Mapping[str, Any], locale: str) -> str:
    """The programme's name as the pages show it (``programme_<code>`` of the pages' catalogue,
    app/translations: one source for pages and messages), else the reference's ``name_<locale>``,
    else the code."""
    code = payload.get("programme")
    if not isinstance(code, str) or not code:
        raise RenderError("payload field programme is missing")
    shown = page_catalogue(locale).get(f"programme_{code}")
    if shown:
        return str(shown)
    known = programmes().get(code)
    return str(known[f"name_{locale}"]) if known else code


def _for_audience(spec: Mapping[str, Any], audience: str, actor_role: Any) -> Mapping[str, Any]:
    """The texts (``ko``, ``en``, ``alimtalk``) of a topic for ``audience``: the staff's own
    (``staff``) or the topic's, and within them ``by`` the payload's ``actor_role`` when it has
    texts for that role (a cancellation by the family told to the staff, by the provider told to
    the family)."""
    if audience not in AUDIENCES:
        raise RenderError(f"no messages for audience {audience!r}: the audiences are {', '.join(AUDIENCES)}")
    staff = spec.get("staff") if audience == STAFF_AUDIENCE else None
    texts = staff or spec
    by = texts.get("by", {}).get(actor_role) if isinstance(actor_role, str) else None
    return by or texts


def render(topic: str, payload: Mapping[str, Any], locale: str,
           facility_name: Callable[[str], str | None] | None = None, *, base_url: str | None = None,
           audience: str = GUARDIAN_AUDIENCE) -> Rendered:
    """The message of ``topic`` for ``payload`` in ``locale`` (``ko`` or ``en``), written for
    ``audience`` (:data:`AUDIENCES`: the guardian, or the provider's staff).

    ``facility_name`` maps a facility id to its name (the registry); without it, or when it
    knows none, the id is shown. ``base_url``: the site's public address, which ``{link}``
    prefixes to the payload's ``path`` (:func:`make_link`). Raises :class:`RenderError` naming
    the topic, the language, the setting or the payload field that is missing or malformed.
    """
    if locale not in LOCALES:
        raise RenderError(f"no messages in {locale!r}: the languages are {', '.join(LOCALES)}")
    spec = _for_audience(_spec(topic), audience, payload.get("actor_role"))
    texts, codes = spec[locale], spec.get("alimtalk", {})
    if "deadline" in _fields(texts) and not any(payload.get(k) for k in ("respond_by", "deadline")):
        variant = spec.get("without_deadline", {})  # e.g. a booking with no hold
        if locale in variant:
            # Other words are another 알림톡 template (app/care/notify/alimtalk.py)
            texts, codes = variant[locale], variant.get("alimtalk", codes)
    wanted = _fields(texts)
    allowed = {name for name in FIELDS if topic in TOPIC_ONLY_FIELDS.get(name, frozenset({topic}))}
    unknown = wanted - allowed
    if unknown:
        raise RenderError(f"messages.json topic {topic} uses fields {sorted(unknown)}; allowed: {sorted(allowed)}")
    values: dict[str, str] = pattern_values(payload, locale) if wanted & PATTERN_FIELDS else {}
    if wanted & LIST_FIELDS:
        values.update(booking_list_values(payload, locale))
    for name in wanted - PATTERN_FIELDS - LIST_FIELDS:
        if name == "first_name":
            values[name] = _first_name(payload, locale, audience)
        elif name == "programme":
            values[name] = _programme(payload, locale)
        elif name == "facility":
            facility_id = payload.get("facility_id")
            if not isinstance(facility_id, str) or not facility_id:
                raise RenderError("payload field facility_id is missing")
            values[name] = (facility_name(facility_id) if facility_name else None) or facility_id
        elif name == "window":
            values[name] = format_window(_time(payload.get("window_start"), "window_start"),
                                         _time(payload.get("window_end"), "window_end"), locale)
        elif name == "expires":
            values[name] = format_time(_time(payload.get("expires_at"), "expires_at"), locale)
        elif name == "link":
            values[name] = make_link(base_url, payload.get("path"))
        elif name == "reason":
            values[name] = _reason(payload, locale)
        elif name == "reference":
            booking_id = payload.get("booking_id")
            if not isinstance(booking_id, str) or not booking_id:
                raise RenderError("payload field booking_id is missing (a booking's reference is made from it)")
            values[name] = booking_reference(booking_id)
        else:  # deadline: the care contract's name, or the booking's hold deadline (respond_by)
            field = "respond_by" if "respond_by" in payload and "deadline" not in payload else "deadline"
            values[name] = format_time(_time(payload.get(field), field), locale)
    return Rendered(locale, particles(texts["title"].format(**values)), particles(texts["body"].format(**values)),
                    str(codes.get(locale, "")))
