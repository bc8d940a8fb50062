"""Emergency care requests and the offers that match them (app.care.matching; migration 0011).

A request's deadlines are columns (``match_by`` of the request, ``respond_by`` of each offer), so
they survive a restart and every server sees the same ones; the scheduler's tick fires what is
due with guarded updates (``… WHERE status = 'requested'``). At most one offer of a request is
ever accepted: besides the guarded update of the request, the partial unique index
``offers_one_accepted`` (``request_id`` WHERE ``status = 'accepted'``) refuses a second one on
SQLite and PostgreSQL alike. The event tables are append-only (triggers, 0011).

The point where care is needed (``lon``, ``lat``) is personal data: it is never logged, and
only the 시군구 it lies in (``sigungu_code``) is used for counts.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.db.engine import metadata

# app.care.states.CARE_REQUEST's and OFFER's states (tests/care/test_matching.py keeps them equal).
CARE_REQUEST_STATES = ("requested", "unmatched", "accepted", "in-progress", "completed", "cancelled", "failed")
OFFER_STATES = ("requested", "accepted", "rejected", "expired", "cancelled")
PLACE_KINDS = ("home", "work")
OFFER_MODES = ("sequential", "top_n")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


care_requests = sa.Table(
    "care_requests", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("guardian_id", sa.String(40), nullable=False),  # users.id
    sa.Column("child_id", sa.String(40), nullable=False),  # a reference only: no child data here
    sa.Column("programme", sa.String(60), nullable=False),
    sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
    sa.Column("place_kind", sa.String(10), nullable=False),
    sa.Column("lon", sa.Float, nullable=True),  # WGS84 degrees; personal data, never logged;
    # None once the family's data is deleted (app.care.children.delete_family)
    sa.Column("lat", sa.Float, nullable=True),
    sa.Column("sigungu_code", sa.String(10), nullable=True),  # the point's 시군구 (None: in none)
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("match_by", sa.DateTime(timezone=True), nullable=False),  # the total deadline
    # The matching settings the request was made with, so every server treats it alike.
    sa.Column("offer_mode", sa.String(20), nullable=False),
    sa.Column("offer_batch", sa.Integer, nullable=False),
    sa.Column("response_minutes", sa.Integer, nullable=False),
    # The ranked provider ids (JSON list) and how many of them have had an offer.
    sa.Column("candidates", sa.JSON, nullable=False),
    sa.Column("offered_count", sa.Integer, nullable=False),
    sa.Column("unmatched_at", sa.DateTime(timezone=True), nullable=True),  # unmet demand, once set
    # 0017 (app/reference/offer_reach.json): the ranked providers' distances from the place in
    # metres (JSON list alongside candidates; null items: carers who come to the home), the
    # limit the request was matched with (null: none) and why it went unmatched (a code).
    sa.Column("candidate_distances_m", sa.JSON, nullable=True),
    sa.Column("max_distance_m", sa.Integer, nullable=True),
    sa.Column("unmatched_reason", sa.String(40), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("window_end > window_start", name="care_requests_window_order"),
    sa.CheckConstraint(_in("status", CARE_REQUEST_STATES), name="care_requests_status"),
    sa.CheckConstraint(_in("place_kind", PLACE_KINDS), name="care_requests_place_kind"),
    sa.CheckConstraint(_in("offer_mode", OFFER_MODES), name="care_requests_offer_mode"),
    sa.CheckConstraint("offer_batch >= 1 AND response_minutes >= 1 AND offered_count >= 0",
                       name="care_requests_counts"),
    sa.Index("care_requests_deadline", "status", "match_by"),
    sa.Index("care_requests_guardian", "guardian_id"),
    sa.Index("care_requests_child", "child_id", "status"),  # 0016: the child's open requests
    sa.Index("care_requests_unmatched", "unmatched_at"),
)

care_request_events = sa.Table(  # append-only (triggers, 0011)
    "care_request_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(40), nullable=False, index=True),  # ix_care_request_events_request_id
    sa.Column("action", sa.String(30), nullable=False),
    sa.Column("from_state", sa.String(20), nullable=True),  # None: the request was made
    sa.Column("to_state", sa.String(20), nullable=False),
    sa.Column("actor_role", sa.String(30), nullable=False),
    sa.Column("actor_id", sa.String(100), nullable=True),
    sa.Column("reason", sa.Text, nullable=True),  # 0020: sealed unless a preset (app.care.reason_sealing)
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason_erased_at", sa.DateTime(timezone=True), nullable=True),  # 0020: erased with the family
)

offers = sa.Table(
    "offers", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("request_id", sa.String(40), nullable=False),
    sa.Column("facility_id", sa.String(100), nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),  # 1 = the best-ranked provider
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("respond_by", sa.DateTime(timezone=True), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("responded_by", sa.String(40), nullable=True),  # users.id of who accepted or declined
    sa.Column("distance_m", sa.Float, nullable=True),  # 0017: metres from the place; null: comes to the home
    sa.CheckConstraint(_in("status", OFFER_STATES), name="offers_status"),
    sa.UniqueConstraint("request_id", "facility_id", name="offers_request_facility"),
    sa.Index("offers_one_accepted", "request_id", unique=True,
             sqlite_where=sa.text("status = 'accepted'"), postgresql_where=sa.text("status = 'accepted'")),
    sa.Index("offers_deadline", "status", "respond_by"),
    sa.Index("offers_facility_status", "facility_id", "status"),
)

offer_events = sa.Table(  # append-only (triggers, 0011)
    "offer_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("offer_id", sa.String(40), nullable=False, index=True),  # ix_offer_events_offer_id
    sa.Column("request_id", sa.String(40), nullable=False),
    sa.Column("action", sa.String(30), nullable=False),
    sa.Column("from_state", sa.String(20), nullable=True),  # None: the offer was sent
    sa.Column("to_state", sa.String(20), nullable=False),
    sa.Column("actor_role", sa.String(30), nullable=False),
    sa.Column("actor_id", sa.String(100), nullable=True),
    sa.Column("reason", sa.Text, nullable=True),  # 0020: sealed unless a preset (app.care.reason_sealing)
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason_erased_at", sa.DateTime(timezone=True), nullable=True),  # 0020: erased with the family
)
