"""The family's own records under /api/v1: consents, children, and the family's data rights
(download everything, see who read the children's records, delete everything). A guardian
reaches only their own: another family's child is a 404, never a 403, so ids reveal nothing.
Signed-in through the session cookie (app.pages.account_sessions); writes carry the CSRF token
(X-CSRFToken)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from app.care.accounts import User
from app.care.children import (
    ACCESS_LOG_LIMIT,
    ACCESS_LOG_MAX,
    CARE_NOTES,
    CHILD_REGISTRATION,
    SHARE_WITH_PROVIDER,
    ConsentError,
    access_purposes,
    consent_purposes,
    consent_text,
    consent_version,
    relations,
)
from app.care.states import ADMIN
from app.domain import PROBLEMS_KEY, DomainError
from app.errors import clip
from app.extensions.care import get_children
from app.extensions.registry import get_index, get_registry
from app.i18n import LANGUAGES, current_language, translate
from app.pages.account_sessions import check
from app.reference import document

from . import bodies, params
from .auth import CARE_UNREACHABLE, answer_database_errors
from .openapi import Param, documented
from .params import InvalidParameter

bp = Blueprint("care_family", __name__, url_prefix="/api/v1")
answer_database_errors(bp, CARE_UNREACHABLE)

CHILD_FIELDS = frozenset({"given_name", "family_name", "birth_date", "relation", "emergency_contact_name",
                          "emergency_contact_phone", "care_notes"})
CONTACT_PARTS = ("name", "phone")  # emergency_contact {name, phone}: the shape a child is read back in


NESTED_CONTACT = "_nested_contact"  # child_body's mark: the contact came as emergency_contact {name, phone}


@contextmanager
def fields_as_sent(body: dict[str, Any]) -> Iterator[None]:
    """Pops :data:`NESTED_CONTACT` from ``body``; a refusal inside then names a nested
    contact's part as the client sent it (``emergency_contact.phone``, not the stored
    ``emergency_contact_phone``), in ``field`` and in the message."""
    nested = bool(body.pop(NESTED_CONTACT, False))
    try:
        yield
    except DomainError as exc:
        if nested:
            exc.field, message = _as_sent(exc.field, str(exc))
            exc.args = (message, *exc.args[1:])
            entries = exc.extra.get(PROBLEMS_KEY)
            for entry in entries if isinstance(entries, list) else []:  # every problem found at once, as sent
                entry["field"], entry["message"] = _as_sent(entry.get("field"), str(entry.get("message", "")))
        raise


def _as_sent(field: str | None, message: str) -> tuple[str | None, str]:
    """A flat contact field (``emergency_contact_phone``) and its message named as a nested
    contact's part (``emergency_contact.phone``); any other field as it is."""
    flat = field or ""
    if not flat.startswith("emergency_contact_"):
        return field, message
    sent = "emergency_contact." + flat.removeprefix("emergency_contact_")
    return sent, message.replace(flat, sent)


def child_body(required: frozenset[str] = frozenset(), *, missing_later: bool = False) -> dict[str, Any]:
    """The child fields of the request's JSON object (:func:`bodies.json_object`'s errors). The
    emergency contact comes flat (``emergency_contact_name``, ``emergency_contact_phone``) or
    nested as a child is read back (``emergency_contact``: ``{"name", "phone"}``; a PATCH may
    send one part), not both; the nested one becomes the flat fields. ``required`` fields are
    checked after that, named as the flat fields; with ``missing_later`` they are not (the
    core names each missing one with every other problem: :meth:`ChildStore.register_fields`),
    only an empty body is refused."""
    body = bodies.json_object(CHILD_FIELDS | {"emergency_contact"}, allow_empty=not required)
    if "emergency_contact" in body:
        nested = body.pop("emergency_contact")
        if not isinstance(nested, dict):
            raise InvalidParameter("emergency_contact must be an object {\"name\": …, \"phone\": …}",
                                   "emergency_contact", "not_an_object")
        both = sorted(f"emergency_contact_{k}" for k in CONTACT_PARTS if f"emergency_contact_{k}" in body)
        if both:
            raise InvalidParameter(f"send the emergency contact once: emergency_contact or {', '.join(both)}, "
                                   "not both", "emergency_contact", "conflict")
        unknown = sorted(set(nested) - set(CONTACT_PARTS))
        if unknown:
            raise InvalidParameter(f"unknown field emergency_contact.{unknown[0]}; allowed: name, phone",
                                   f"emergency_contact.{unknown[0]}", "unknown_field")
        body.update({f"emergency_contact_{k}": v for k, v in nested.items()})
        body[NESTED_CONTACT] = True  # errors then name emergency_contact.<part>, as it was sent
    missing = [] if missing_later else sorted(required - set(body))
    if missing and body.get(NESTED_CONTACT) and missing[0].startswith("emergency_contact_"):
        raise bodies.MissingField(missing[0].replace("emergency_contact_", "emergency_contact.", 1))
    if missing and missing[0] == "relation":  # a closed set: named with its values
        raise bodies.MissingField("relation", sorted(relations()))
    if missing:
        raise InvalidParameter(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required",
                               missing[0], "missing")
    return body
SECURED_ERRORS = (400, 401, 403, 404, 409)
AFFECTS_BOOKINGS = frozenset({SHARE_WITH_PROVIDER, CARE_NOTES})  # consents whose withdrawal staff of live bookings feel
IN_CARE = "in-progress"  # the booking state of a child in care now: said first among the affected bookings


def _now() -> datetime:
    return datetime.now(UTC)


def _none(app: Flask) -> list[Param]:
    return []


def _lang(app: Flask) -> list[Param]:
    return [Param("lang", {"type": "string", "enum": list(LANGUAGES)},
                  "the language of the texts (default: the Accept-Language, else ko; another value: 400)")]


def _child_id(app: Flask) -> list[Param]:
    return [Param("child_id", {"type": "string", "maxLength": 40}, "the child's id", required=True, where="path")]


def _purpose(app: Flask) -> list[Param]:
    return [Param("purpose", {"type": "string", "enum": sorted(consent_purposes())}, "the consent's purpose",
                  required=True, where="path")]


@bp.get("/consents")
@documented("The consent texts and the guardian's consents", _lang, "Consents", errors=SECURED_ERRORS)
def list_consents() -> Response:
    """Each purpose's current text (in the page's language) and the consents the guardian gave."""
    user = _guardian("consent.manage")
    params.one_of(request.args, "lang", LANGUAGES, "the languages")  # never a silent fallback to Korean
    store = get_children()
    retention = int(current_app.config["CARE_RETENTION_DAYS"])
    texts = [consent_text(p, current_language(), retention) for p in sorted(consent_purposes())]
    return jsonify({"texts": texts, "consents": [c.as_dict() for c in store.consents(user.id)]})


@bp.post("/consents")
@documented("Give a consent (its purpose and the text version shown)", _none, "Consent", method="post",
            body="ConsentInput", errors=SECURED_ERRORS)
def give_consent() -> Response:
    """Record the guardian's consent to the text version they were shown (409 when it is not
    the current one)."""
    user = _guardian("consent.manage")
    purposes = sorted(consent_purposes())
    body = bodies.json_object(frozenset({"purpose", "version"}), frozenset({"purpose"}),
                              choices={"purpose": purposes})
    purpose = bodies.text(body, "purpose", max_chars=60, choices=purposes)
    assert purpose is not None
    # the version is a closed set of one: the purpose's current text (an unknown purpose: a 400 naming them)
    version = bodies.text(body, "version", max_chars=40, choices=(consent_version(purpose),))
    assert purpose is not None and version is not None
    consent = get_children().give_consent(user.id, purpose, version, _now())
    return jsonify(consent.as_dict())


@bp.delete("/consents/<purpose>")
@documented("Withdraw a consent (the answer names the live bookings it affects)", _purpose, "Withdrawn",
            method="delete", errors=SECURED_ERRORS)
def withdraw_consent(purpose: str) -> Response:
    """Withdraw the consent (409 while data stored on it remains: delete that first). Withdrawing
    ``share_with_provider`` leaves the staff of the family's live bookings without the child's
    care notes and emergency contact, ``care_notes`` deletes the notes: ``affected_bookings``
    names those bookings (:func:`affected_bookings`: provider, child's first name, window on the
    registry's clock, a child in care now first), whose providers are told
    (:meth:`ChildStore.withdraw_consent`), so the family can cancel what they no longer need; empty
    for other purposes and when none is live. A repeat (no consent standing: already withdrawn,
    or never given) changes nothing and says so: 200 with ``withdrawn`` 0, ``already_withdrawn``
    true and no ``affected_bookings`` (that withdrawal named them; no provider is told twice) — a
    DELETE is idempotent. GET ``/consents/<purpose>/withdrawal`` says all this beforehand. An
    unknown purpose: 400 ``invalid_consent`` with the ``allowed`` ones."""
    user = _guardian("consent.manage")
    known_purpose(purpose)
    store = get_children()
    withdrawn = store.withdraw_consent(user.id, purpose, _now())
    return jsonify({"purpose": purpose, "withdrawn": withdrawn, "already_withdrawn": not withdrawn,
                    "affected_bookings": affected_bookings(user.id, purpose, withdrawn > 0)})


@bp.get("/consents/<purpose>/withdrawal")
@documented("What withdrawing a consent would do (nothing is withdrawn): the live bookings it would affect",
            _purpose, "WithdrawalPreview", errors=SECURED_ERRORS)
def preview_withdrawal(purpose: str) -> Response:
    """What ``DELETE /consents/<purpose>`` would answer now, changing nothing (the question a
    page asks before the guardian confirms): ``standing`` (a consent to the purpose stands: the
    DELETE would withdraw it; false: it would answer ``already_withdrawn``), ``affects_bookings``
    (the purpose's withdrawal reaches the staff of live bookings: ``share_with_provider``,
    ``care_notes``), ``affected_bookings`` (the same list, by the same function, as the DELETE's
    answer: a child in care now first, then by start, with the provider's name), and
    ``in_use`` / ``children_registered`` (``child_registration`` while children are registered:
    the DELETE would be refused, 409 ``consent_in_use``; ``children_registered`` is null for the
    other purposes). Guardian only, their own consents and bookings; an unknown purpose: 400
    ``invalid_consent`` with the ``allowed`` ones."""
    user = _guardian("consent.manage")
    known_purpose(purpose)
    store = get_children()
    standing = any(c.purpose == purpose and c.withdrawn_at is None for c in store.consents(user.id))
    children = len(store.list_for_guardian(user.id)) if purpose == CHILD_REGISTRATION else None
    in_use = bool(children)
    return jsonify({"purpose": purpose, "standing": standing, "affects_bookings": purpose in AFFECTS_BOOKINGS,
                    "in_use": in_use, "children_registered": children,
                    "affected_bookings": affected_bookings(user.id, purpose, standing and not in_use)})


def known_purpose(purpose: str) -> str:
    """``purpose`` when it is a consent purpose; else :class:`ConsentError` (400
    ``invalid_consent``, reason ``unknown_value``) naming them, with ``allowed`` listing them."""
    allowed = sorted(consent_purposes())
    if purpose not in allowed:
        raise ConsentError(f"unknown consent purpose {clip(purpose)}; allowed: {', '.join(allowed)}", "purpose",
                           "unknown_value", extra={"allowed": allowed})
    return purpose


def affected_bookings(guardian_id: str, purpose: str, withdrawing: bool) -> list[dict[str, Any]]:
    """The family's live bookings a withdrawal of ``purpose`` affects (:data:`AFFECTS_BOOKINGS`;
    none when ``withdrawing`` is false: no consent stood, or it cannot be withdrawn): the one list
    both the DELETE's answer and its preview give. A child in care now first, then by start (then
    id); each ``id``, ``child_id``, ``first_name``, ``facility_id``, ``provider_name`` (null for a
    provider no longer in the registry), ``programme``, ``start``, ``end`` (ISO 8601 on the
    registry's clock), ``status``."""
    if not withdrawing or purpose not in AFFECTS_BOOKINGS:
        return []
    live = get_children().live_bookings(guardian_id)
    live.sort(key=lambda b: (b["status"] != IN_CARE, b["start"], b["id"]))
    tz, providers = get_registry().locale.tz, get_index().by_id
    return [{**b, "start": b["start"].astimezone(tz).isoformat(), "end": b["end"].astimezone(tz).isoformat(),
             "provider_name": found.name if (found := providers.get(b["facility_id"])) is not None else None}
            for b in live]


@bp.get("/children")
@documented("The guardian's children", _none, "ChildList", errors=SECURED_ERRORS)
def list_children() -> Response:
    """Every child the guardian registered (with their care notes, opened)."""
    user = _guardian("children.read")
    return jsonify({"children": [c.as_dict() for c in get_children().list_for_guardian(user.id)]})


@bp.post("/children")
@documented("Register a child (needs the child_registration consent; care notes need care_notes)", _none,
            "Child", method="post", body="ChildInput", errors=SECURED_ERRORS, created=True)
def register_child() -> Response:
    """Register a child of the signed-in guardian. Every problem is named in one answer: each
    missing field, each wrong value, each consent not given (``errors`` lists them when there
    are several; ``field``, ``reason`` and ``message`` lead with the first)."""
    user = _guardian("children.manage")
    body = child_body(CHILD_FIELDS - {"care_notes"}, missing_later=True)
    with fields_as_sent(body):
        child = get_children().register_fields(user.id, body, _now())
    response = jsonify(child.as_dict())
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/children/{child.id}"
    return response


@bp.get("/children/<child_id>")
@documented("One of the guardian's children", _child_id, "Child", errors=SECURED_ERRORS)
def read_child(child_id: str) -> Response:
    user = _guardian("children.read")
    return jsonify(get_children().get(user.id, child_id).as_dict())


@bp.patch("/children/<child_id>")
@documented("Change a child's record (a birth date that would put live bookings or requests outside their "
            "programme's ages, or a booking outside its provider's own: 409 birth_date_in_use naming them)",
            _child_id, "Child", method="patch", body="ChildChange", errors=SECURED_ERRORS)
def change_child(child_id: str) -> Response:
    """Change the given fields. A new ``birth_date`` is taken while every live booking and care
    request of the child stays within its programme's ages, and every booking within its
    provider's (the served registry's ``age_min_months``–``age_max_months``); otherwise 409
    ``birth_date_in_use`` with ``affected_bookings`` (each with the ``limit`` it breaks:
    ``programme`` or ``provider``, and those ages), ``affected_requests`` and ``what_to_do``
    (cancel them first), nothing changed (:meth:`app.care.children.ChildStore.update`)."""
    user = _guardian("children.manage")
    body = child_body()
    providers = get_index().by_id

    def provider_ages(facility_id: str) -> tuple[int | None, int | None] | None:
        found = providers.get(facility_id)
        return None if found is None else (found.age_min_months, found.age_max_months)

    with fields_as_sent(body):
        child = get_children().update(user.id, child_id, body, _now(), provider_ages=provider_ages)
    return jsonify(child.as_dict())


@bp.delete("/children/<child_id>")
@documented("Delete a child's record (its bookings are cancelled)", _child_id, "Deleted", method="delete",
            errors=SECURED_ERRORS)
def delete_child(child_id: str) -> Response:
    user = _guardian("children.manage")
    return jsonify({"child_id": child_id, "bookings_cancelled": get_children().delete(user.id, child_id, _now())})


@bp.get("/me/export")
@documented("Everything held about the family (JSON download)", _none, "FamilyExport", errors=SECURED_ERRORS)
def export_family() -> Response:
    """The account, children, consents, bookings, who read the children's records, the care
    requests, and the notifications held about the family (messages to the guardian or about the
    family's bookings and requests, as sent or shown, without recipients' lists or secret links)."""
    user = _guardian("data.export")
    response = jsonify(get_children().export_family(user.id, _now(), current_language()))
    response.headers["Content-Disposition"] = 'attachment; filename="dolbom-family-data.json"'
    return response


def _limit(app: Flask) -> list[Param]:
    return [*_lang(app), Param("limit", {"type": "integer", "minimum": 1, "maximum": ACCESS_LOG_MAX},
                               f"how many of the latest reads (default {ACCESS_LOG_LIMIT})")]


@bp.get("/me/access-log")
@documented("Who read the children's records, when and why (the latest first)", _limit, "AccessLog",
            errors=SECURED_ERRORS)
def access_log() -> Response:
    """Every read of the family's children's records by a provider's staff or the service's
    admins, newest first (``limit``, default 50, at most 200; ``total`` counts them all): when
    (the registry's clock), which child (first name), who (the provider's name and the reader's
    role; an admin is the service's operator, never a person's name or e-mail) and why, in the
    language asked for, with the stable codes beside the words."""
    user = _guardian("data.export")
    params.one_of(request.args, "lang", LANGUAGES, "the languages")
    limit = params.integer(request.args, "limit", default=ACCESS_LOG_LIMIT, minimum=1, maximum=ACCESS_LOG_MAX)
    entries, total = get_children().family_access_log(user.id, limit)
    lang, tz = current_language(), get_registry().locale.tz
    purposes, labels = access_purposes(), document("roles.json")["roles"]
    providers = get_index().by_id

    def reader(role: str, facility_id: str | None) -> dict[str, str | None]:
        found = providers.get(facility_id) if facility_id else None
        name = found.name if found is not None else translate("access_log_operator") if role == ADMIN else None
        label = labels.get(role, {}).get("label", {}).get(lang, role)
        return {"role": role, "role_label": label, "provider_id": facility_id, "name": name}

    return jsonify({"total": total, "limit": limit, "entries": [{
        "at": e["at"].astimezone(tz).isoformat(), "child_id": e["child_id"], "first_name": e["first_name"],
        "reader": reader(e["actor_role"], e["facility_id"]), "purpose": e["purpose"],
        "purpose_text": purposes.get(e["purpose"], {}).get(lang, e["purpose"]), "outcome": e["outcome"],
        "booking_id": e["booking_id"]} for e in entries]})


@bp.delete("/me")
@documented("Delete the family's data and account", _none, "Deleted", method="delete", errors=SECURED_ERRORS)
def delete_family() -> Response:
    """Cancel the family's bookings and delete its children, consents and account (409 while
    care is under way). The session ends."""
    from app.pages.account_sessions import sign_out

    user = _guardian("data.delete")
    counts = get_children().delete_family(user.id, _now())
    sign_out()
    return jsonify({"deleted": counts})


def _guardian(permission: str) -> User:
    """The signed-in user acting on their own family (401 signed out; 403 without the role)."""
    user = check(permission)
    check(permission, owner_id=user.id)
    return user


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
