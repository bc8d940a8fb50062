"""OpenAPI schemas of the care API (children, consents, bookings, slots), merged into the
document by :func:`app.api.openapi.component_schemas`."""

from __future__ import annotations

from typing import Any

from app.care.matching import OUT_OF_REACH, UNMATCHED_REASONS
from app.care.notify import reasons as decline_reasons
from app.care.rules import booking_rules, max_places_ahead_days, window_step_minutes
from app.care.states import BOOKING, CARE_REQUEST, OFFER
from app.care.windows import WEEKDAY_NAMES

TEXT: dict[str, Any] = {"type": "string"}
TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
REASON_CODE: dict[str, Any] = {"type": "string", "enum": list(decline_reasons.codes()),
                               "description": "a common reason by its code (app/reference/decline_reasons.json), "
                                              "stored as the code and shown to each reader in their language; "
                                              "not with reason"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def _object(required: list[str], properties: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties, **more}


CONTACT_EITHER = ("the emergency contact as emergency_contact {name, phone} (the shape a child is read back in) "
                  "or as emergency_contact_name and emergency_contact_phone, not both")


def openapi_schemas() -> dict[str, Any]:
    """The schemas by name."""
    contact = _object(["name", "phone"], {"name": TEXT, "phone": TEXT})
    step = window_step_minutes()  # every window's start and end fall on it (booking_rules.json)
    child_props = {"given_name": {**TEXT, "description": "first name (the only part shown in messages)"},
                   "family_name": TEXT, "birth_date": {"type": "string", "format": "date"},
                   "relation": {**TEXT, "description": "the guardian's relation (app/reference/children.json)"},
                   "emergency_contact_name": TEXT,
                   "emergency_contact_phone": {**TEXT, "description": "a Korean phone number, e.g. 010-1234-5678"},
                   "care_notes": _nullable({**TEXT, "description": "allergies, health, needs: sealed at rest"})}
    child_input = {**child_props, "emergency_contact": {
        "type": "object", "properties": {"name": TEXT, "phone": child_props["emergency_contact_phone"]},
        "additionalProperties": False, "description": "the emergency contact as a child is read back"}}
    booking = _object(
        ["id", "facility_id", "programme", "child_id", "start", "end", "status", "fhir_status", "version",
         "allowed_actions"],
        {"id": TEXT, "facility_id": TEXT, "programme": TEXT,
         "child_id": {**_nullable(TEXT), "description": "the child's id, to its family and admins; null to provider "
                      "staff (they read the child through the logged /bookings/{booking_id}/child)"},
         "start": TIME, "end": TIME,
         "reference": {**TEXT, "description": "the booking's short reference (e.g. 3F9A-2C7E), which the family "
                       "can quote and the provider's staff find it by (a consent withdrawal's notice names it)"},
         "status": {"type": "string", "enum": list(BOOKING.states)},
         "fhir_status": {**TEXT, "description": "the FHIR Task status of the state"},
         "version": {"type": "integer"}, "hold_expires_at": _nullable(TIME), "created_at": TIME,
         "updated_at": TIME, "estimate_krw": _nullable({"type": "integer"}),
         "pattern_id": _nullable({**TEXT, "description": "the weekly pattern (repeat) the booking was made in: "
                                  "every booking of one repeat request shares it (GET /booking-patterns/"
                                  "{pattern_id}); null for a single booking"}),
         "allowed_actions": {"type": "array", "items": TEXT, "description": "what the caller may do now (the "
                             "state, the role and the time); a 409's allowed_actions are the same list"},
         "actions_from": {"type": "object", "additionalProperties": TIME,
                          "description": "actions the state allows the caller but the time not yet, each with "
                          "when it opens (check_in: shortly before the start; mark_no_show: from the start)"},
         "actions_closed": {"type": "object", "additionalProperties": TIME,
                            "description": "actions the state allows the caller but the time no longer does, each "
                            "with when it closed (the family's cancel: family_cancel_until_minutes_before_start "
                            "in app/reference/booking_rules.json before the start; staff then mark a no-show)"},
         "first_name": _nullable({**TEXT, "description": "include=first_name (the provider's staff): the child's "
                                  "first name, null when not shown; each name shown is a logged read"}),
         "events": {"type": "array", "items": {"type": "object"}}})
    weekly = booking_rules()["elementary_emergency"]
    until = {"type": "string", "format": "date", "description": "the pattern's last date (inclusive)"}
    repeat = {"oneOf": [
        _object(["weekdays", "until"], {
            "weekdays": {"type": "array", "minItems": 1, "uniqueItems": True,
                         "items": {"type": "string", "enum": list(WEEKDAY_NAMES)}},
            "until": until}, additionalProperties=False, title="weekly"),
        _object(["every_day", "until"], {
            "every_day": {"type": "boolean", "enum": [True], "description": "the same hours each day"},
            "until": until}, additionalProperties=False, title="daily")]}
    daily = {p: r.daily_max_days for p, r in booking_rules().items() if r.daily_max_days}
    repeat_text = ("a pattern booked in one transaction, all or nothing (409 occurrences_refused naming each date "
                   "that cannot be booked, nothing stored), the window shorter than a day. With weekdays, a weekly "
                   "pattern: the window start-end on each of weekdays from start's date through until; only for "
                   "programmes whose booking_rules.json patterns have weekly "
                   f"({', '.join(p for p, r in booking_rules().items() if 'weekly' in r.patterns)}), over at "
                   f"most {weekly.weekly_max_range_days} days. With every_day true, the same hours each day: the "
                   "window on every date from start's date through until; only for programmes whose patterns have "
                   f"daily ({', '.join(f'{p}, its windows touching at most {n} dates' for p, n in daily.items())}"
                   "; more: 400 daily_too_many_days on repeat.until naming max_days, or 409 too_many_consecutive_days "
                   "with the child's bookings the day before or after)")
    occurrence = _object(["start", "end", "estimate_krw"], {"start": TIME, "end": TIME,
                                                           "estimate_krw": _nullable({"type": "integer"})})
    slot = _object(["id", "start", "end", "places", "held", "free"],
                   {"id": {"type": "integer"}, "start": TIME, "end": TIME, "places": {"type": "integer"},
                    "held": {"type": "integer"}, "free": {"type": "integer"}})
    return {
        "Consent": _object(["purpose", "version", "given_at"], {"purpose": TEXT, "version": TEXT, "given_at": TIME,
                                                               "withdrawn_at": _nullable(TIME)}),
        "Consents": _object(["texts", "consents"], {"texts": {"type": "array", "items": {"type": "object"}},
                                                   "consents": {"type": "array", "items": {"type": "object"}}}),
        "ConsentInput": _object(["purpose", "version"], {"purpose": TEXT, "version": TEXT},
                                additionalProperties=False),
        "Notices": _object(["notices", "unread", "total", "limit", "offset"], {
            "notices": {"type": "array", "items": _object(
                ["id", "topic", "title", "body", "created_at", "read_at"],
                {"id": {"type": "integer"}, "topic": TEXT,
                 "title": {**TEXT, "description": "in the person's language, as rendered when sent"}, "body": TEXT,
                 "created_at": {**TIME, "description": "on the registry's clock (+09:00)"},
                 "read_at": _nullable(TIME)})},
            "unread": {"type": "integer", "description": "the person's unread notices, all of them"},
            "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}),
        "NoticesReadInput": {"type": "object", "additionalProperties": False,
                             "description": "either ids (the person's own notices: an id of another person's "
                                            "notice or an unknown one is a 404, not_found, and nothing is "
                                            "marked) or all",
                             "properties": {"ids": {"type": "array", "maxItems": 200,
                                                    "items": {"type": "integer", "minimum": 1,
                                                              "maximum": 2**31 - 1}},
                                            "all": {"type": "boolean", "enum": [True]}}},
        "NoticesRead": _object(["marked", "unread"], {"marked": {"type": "integer"}, "unread": {"type": "integer"}}),
        "Withdrawn": _object(["purpose", "withdrawn", "already_withdrawn", "affected_bookings"], {
            "purpose": TEXT, "withdrawn": {"type": "integer", "description": "consents withdrawn now (0: none stood)"},
            "already_withdrawn": {"type": "boolean", "description": "true for a repeat (no consent to the purpose "
                                  "stood: already withdrawn or never given): nothing changed, no provider told, "
                                  "affected_bookings empty (the first withdrawal named them); the answer is "
                                  "still 200, a DELETE being idempotent"},
            "affected_bookings": {"type": "array", "description": "the family's live bookings whose staff lose the "
                                  "child's care notes (and, for share_with_provider, the emergency contact); a "
                                  "child in care now first, then by start",
                                  "items": {"$ref": "#/components/schemas/AffectedBooking"}}}),
        "AffectedBooking": _object(["id", "child_id", "first_name", "facility_id", "provider_name", "programme",
                                    "start", "end", "status"], {
            "id": TEXT, "child_id": TEXT, "first_name": TEXT, "facility_id": TEXT, "provider_name": _nullable(TEXT),
            "programme": TEXT, "start": TIME, "end": TIME, "status": {"type": "string", "enum": list(BOOKING.states)}}),
        "WithdrawalPreview": _object(
            ["purpose", "standing", "affects_bookings", "in_use", "children_registered", "affected_bookings"], {
                "purpose": TEXT,
                "standing": {"type": "boolean", "description": "a consent to the purpose stands: the DELETE would "
                             "withdraw it (false: it would answer already_withdrawn, nothing affected)"},
                "affects_bookings": {"type": "boolean", "description": "withdrawing this purpose reaches the staff "
                                     "of the family's live bookings (share_with_provider, care_notes)"},
                "in_use": {"type": "boolean", "description": "child_registration while children are registered: "
                           "the DELETE would be refused (409 consent_in_use); delete the children first"},
                "children_registered": _nullable({"type": "integer", "description": "child_registration: the "
                                                  "children registered on it; null for the other purposes"}),
                "affected_bookings": {"type": "array", "description": "what the DELETE would answer as its "
                                      "affected_bookings now (the same function)",
                                      "items": {"$ref": "#/components/schemas/AffectedBooking"}}}),
        "Child": _object(["id", "given_name", "family_name", "birth_date", "relation", "emergency_contact"],
                         {"id": TEXT, **{k: v for k, v in child_props.items() if not k.startswith("emergency")},
                          "emergency_contact": contact, "created_at": TIME, "updated_at": TIME}),
        "ChildList": _object(["children"], {"children": {"type": "array",
                                                        "items": {"$ref": "#/components/schemas/Child"}}}),
        "ChildInput": _object(["given_name", "family_name", "birth_date", "relation"], child_input,
                              additionalProperties=False, description=CONTACT_EITHER + " (required)"),
        "ChildChange": {"type": "object", "properties": child_input, "additionalProperties": False,
                        "description": CONTACT_EITHER},
        "ChildForBooking": _object(["child_id", "booking_id", "first_name", "age_months", "emergency_contact"],
                                   {"child_id": TEXT, "booking_id": TEXT, "first_name": TEXT,
                                    "age_months": {"type": "integer"}, "care_notes": _nullable(TEXT),
                                    "emergency_contact": contact}),
        "ChildForOffer": _object(["child_id", "offer_id", "first_name", "age_months"],
                                 {"child_id": TEXT, "offer_id": TEXT, "first_name": TEXT,
                                  "age_months": {"type": "integer"}}),
        "Deleted": {"type": "object"},
        "FamilyExport": {"type": "object", "description": "everything held about the family"},
        "AccessLog": _object(["total", "limit", "entries"], {
            "total": {"type": "integer"}, "limit": {"type": "integer"},
            "entries": {"type": "array", "items": _object(
                ["at", "child_id", "first_name", "reader", "purpose", "purpose_text", "outcome"],
                {"at": {**TIME, "description": "on the registry's clock (+09:00)"}, "child_id": TEXT,
                 "first_name": TEXT, "reader": _object(["role", "role_label", "provider_id", "name"], {
                     "role": TEXT, "role_label": TEXT, "provider_id": _nullable(TEXT),
                     "name": _nullable({**TEXT, "description": "the provider's name; for admins the service's "
                                        "operator"})}),
                 "purpose": TEXT, "purpose_text": TEXT, "outcome": {"type": "string", "enum": ["granted", "denied"]},
                 "booking_id": _nullable(TEXT)})}}),
        "Booking": booking,
        "BookingList": _object(["bookings"], {"bookings": {"type": "array",
                                                          "items": {"$ref": "#/components/schemas/Booking"}}}),
        "BookingInput": _object(
            ["child_id", "facility_id", "programme", "start", "end"],
            {"child_id": TEXT, "facility_id": TEXT, "programme": {"type": "string",
                                                                 "enum": ["always_daycare", "elementary_emergency"]},
             "start": {**TEXT, "description": "ISO 8601; without an offset, the registry's zone (Asia/Seoul); "
                       f"on a {step}-minute step after local midnight (19:00, 19:15)"},
             "end": {**TEXT, "description": f"ISO 8601, after start, on a {step}-minute step"},
             "home": _nullable(_object(["lat", "lon"], {"lat": {"type": "number"}, "lon": {"type": "number"}},
                                       description="the family's home: applies the residence rules")),
             "repeat": _nullable({**repeat, "description": repeat_text})},
            additionalProperties=False),
        "BookingQuote": _object(["facility_id", "programme", "start", "end", "estimate_krw", "confirms_at_once"],
                                {"facility_id": TEXT, "programme": TEXT, "start": TIME, "end": TIME,
                                 "estimate_krw": _nullable({"type": "integer", "description": "won; with repeat, "
                                                            "the total of every occurrence"}),
                                 "confirms_at_once": {"type": "boolean"},
                                 "hours": {"type": "number", "description": "the window's length in hours: "
                                           "one continuous stay from start to end"},
                                 "billed_hours": _nullable({"type": "number", "description": "the hours "
                                                            "the estimate charges: each started hour whole "
                                                            "(1.25 h is charged as 2 h); with repeat, over "
                                                            "every occurrence (null: no set fee)"}),
                                 "fee_krw_per_hour": _nullable({"type": "integer", "description": "the hourly "
                                                                "fee the estimate charges (null: no set fee)"}),
                                 "repeat": {**repeat, "description": "with repeat: the pattern quoted"},
                                 "occurrences": {"type": "array", "description": "with repeat: every window the "
                                                 "pattern books, in date order (the registry's zone)",
                                                 "items": occurrence}}),
        "BookingCreated": {"oneOf": [{"$ref": "#/components/schemas/Booking"},
                                     {"$ref": "#/components/schemas/BookingsCreated"}],
                           "description": "one booking; with repeat, BookingsCreated"},
        "BookingsCreated": _object(["bookings", "estimate_krw", "repeat"], {
            "bookings": {"type": "array", "items": {"$ref": "#/components/schemas/Booking"},
                         "description": "one booking per occurrence, in date order (each cancelled on its own)"},
            "estimate_krw": _nullable({"type": "integer", "description": "won, all occurrences"}),
            "repeat": repeat}),
        "BookingPattern": _object(
            ["id", "facility_id", "programme", "weekdays", "first_date", "last_date", "count", "waiting", "bookings"],
            {"id": TEXT, "facility_id": TEXT, "programme": TEXT,
             "weekdays": {"type": "array", "items": {"type": "string", "enum": list(WEEKDAY_NAMES)}},
             "first_date": {"type": "string", "format": "date"}, "last_date": {"type": "string", "format": "date"},
             "count": {"type": "integer", "description": "the pattern's dates (bookings)"},
             "waiting": {"type": "integer", "description": "dates still waiting for the provider's answer"},
             "bookings": {"type": "array", "items": {"$ref": "#/components/schemas/Booking"}},
             "first_name": _nullable({**TEXT, "description": "staff with include=first_name: the child's first "
                                                  "name (a logged read)"})}),
        "PatternAction": {"type": "object", "additionalProperties": False,
                          "properties": {"reason": {**TEXT, "maxLength": 500,
                                                    "description": "decline: required from the staff, once "
                                                                   "(or reason_code)"},
                                         "reason_code": REASON_CODE}},
        "PatternAnswer": _object(["id", "action", "dates", "done", "not_done"], {
            "id": TEXT, "action": {"type": "string", "enum": ["confirm", "decline"]},
            "done": {"type": "integer"}, "not_done": {"type": "integer"},
            "dates": {"type": "array", "description": "every date of the pattern, in order: done (answered now) or "
                      "not, with its state (a date that lapsed or was cancelled meanwhile: expired, cancelled)",
                      "items": _object(["booking_id", "date", "start", "end", "done", "status", "version"], {
                          "booking_id": TEXT, "date": {"type": "string", "format": "date"}, "start": TIME,
                          "end": TIME, "done": {"type": "boolean"},
                          "status": {"type": "string", "enum": list(BOOKING.states)},
                          "version": {"type": "integer"}})}}),
        "BookingAction": {"type": "object", "additionalProperties": False,
                          "properties": {"reason": {**TEXT, "maxLength": 500,
                                                    "description": "the staff's own words (or reason_code)"},
                                         "reason_code": REASON_CODE,
                                         "version": {"type": "integer", "minimum": 1}}},
        "SlotList": _object(["slots"], {"slots": {"type": "array", "items": slot}}),
        "SlotsPublished": _object(["added"], {"added": {"type": "integer"}, "planned": {"type": "integer"},
                                              "last_day": {"type": "string", "format": "date"},
                                              "open_until": TIME,
                                              "slot": slot, "changed": {"type": "integer"},
                                              "already": {"type": "integer"},
                                              "not_lowered": {"type": "array", "items": _object(
                                                  ["start", "end", "places", "held"],
                                                  {"start": TIME, "end": TIME, "places": {"type": "integer"},
                                                   "held": {"type": "integer"}})}}),
        "SlotInput": _object(["programme"], {
            "programme": TEXT, "start": TEXT, "end": TEXT, "places": {"type": "integer", "minimum": 0},
            "derive": {"type": "object", "properties": {
                "first_day": {"type": "string", "format": "date"},
                "days": {"type": "integer", "minimum": 1, "maximum": max_places_ahead_days()},
                "places": {"type": "integer", "minimum": 0},
                "slot_minutes": {"type": "integer", "minimum": step, "maximum": 1440, "multipleOf": step}}}},
            additionalProperties=False),
        "CareRequest": _object(
            ["id", "child_id", "programme", "start", "end", "place", "status", "fhir_status", "version", "match_by"],
            {"id": TEXT, "child_id": TEXT, "programme": TEXT, "start": TIME, "end": TIME,
             "place": {"type": "string", "enum": ["home", "work"]}, "sigun_code": _nullable(TEXT),
             "status": {"type": "string", "enum": list(CARE_REQUEST.states)}, "fhir_status": TEXT,
             "version": {"type": "integer"}, "match_by": TIME, "offered": {"type": "integer"},
             "unmatched_at": _nullable(TIME), "created_at": TIME, "updated_at": TIME,
             "unmatched_reason": _nullable({
                 "type": "string", "enum": [*UNMATCHED_REASONS.values(), OUT_OF_REACH],
                 "description": "why the request went to people who will call (null: it has not, or it did before "
                                "reasons were kept); no_provider_within_reach: eligible providers exist, none "
                                "within max_distance_m"}),
             "max_distance_m": _nullable({"type": "integer", "description": "the farthest, in straight-line "
                                          "metres, an offer of this request could go (app/reference/"
                                          "offer_reach.json); null: no limit"}),
             "booking_id": _nullable({**TEXT, "description": "the booking the accepted offer made"}),
             "point": _object(["lat", "lon"], {"lat": {"type": "number"}, "lon": {"type": "number"}},
                              description="the place: shown to the guardian only"),
             "allowed_actions": {"type": "array", "items": TEXT},
             "actions_closed": {"type": "object", "additionalProperties": TIME,
                                "description": "as a booking's actions_closed: actions the state allows the caller "
                                "but the time no longer does, each with when it closed (a matched request's cancel "
                                "cancels its booking: the family's cutoff, family_cancel_until_minutes_before_start "
                                "in app/reference/booking_rules.json before the start; then phone the provider)"},
             "events": {"type": "array", "items": {"type": "object"}},
             "offers": {"type": "array", "items": {"type": "object", "properties": {
                 "distance_m": _nullable({"type": "number", "description": "straight-line metres from the "
                                          "request's place to the provider; null: a carer who comes to the home"})}}}}),
        "RequestContact": _object(["request_id", "child_id", "relation", "emergency_contact"],
                                  {"request_id": TEXT, "child_id": TEXT, "relation": {
                                      **TEXT, "description": "the guardian's relation (app/reference/children.json)"},
                                   "emergency_contact": contact}),
        "CareRequestList": _object(["care_requests"], {"care_requests": {
            "type": "array", "items": {"$ref": "#/components/schemas/CareRequest"}}}),
        "CareRequestInput": _object(
            ["child_id", "programme", "start", "end", "place", "point"],
            {"child_id": TEXT, "programme": {"type": "string", "enum": ["always_daycare", "elementary_emergency",
                                                                       "home_visit_emergency"]},
             "start": TEXT, "end": TEXT, "place": {"type": "string", "enum": ["home", "work"]},
             "point": _object(["lat", "lon"], {"lat": {"type": "number"}, "lon": {"type": "number"}}),
             "home": _nullable(_object(["lat", "lon"], {"lat": {"type": "number"}, "lon": {"type": "number"}}))},
            additionalProperties=False),
        "Offer": _object(
            ["id", "request_id", "facility_id", "rank", "status", "fhir_status", "respond_by", "allowed_actions"],
            {"id": TEXT, "request_id": TEXT, "facility_id": TEXT, "rank": {"type": "integer"},
             "status": {"type": "string", "enum": list(OFFER.states)}, "fhir_status": TEXT, "respond_by": TIME,
             "version": {"type": "integer"}, "created_at": TIME, "programme": TEXT, "start": TIME, "end": TIME,
             "sigun_code": _nullable(TEXT), "first_name": _nullable(TEXT),
             "booking_id": _nullable({**TEXT, "description": "once accepted: the booking made at this provider"}),
             "allowed_actions": {"type": "array", "items": TEXT}}),
        "OfferList": _object(["offers"], {"offers": {"type": "array",
                                                    "items": {"$ref": "#/components/schemas/Offer"}}}),
        "BookingSettings": _object(["auto_confirm"], {"auto_confirm": {"type": "boolean"}},
                                   additionalProperties=False),
    }
