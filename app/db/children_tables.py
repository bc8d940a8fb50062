"""Tables of children, consent and family-data privacy (app.care.children; migration 0010).

Child data lives only in ``children``; every other table here holds ids, purposes and times.
The care notes column holds a Fernet token (app.care.sealing), never the text.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.db.engine import metadata

# A guardian's children: registered once, read by the guardian, and by provider staff only through
# a booking of theirs (app.care.children.ChildStore.read_for_booking).
children = sa.Table(
    "children", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("guardian_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("given_name", sa.String(100), nullable=False),
    sa.Column("family_name", sa.String(100), nullable=False),
    sa.Column("birth_date", sa.Date, nullable=False),
    sa.Column("relation", sa.String(30), nullable=False),  # app/reference/children.json relations
    sa.Column("emergency_contact_name", sa.String(100), nullable=False),
    sa.Column("emergency_contact_phone", sa.String(20), nullable=False),  # 010-1234-5678
    sa.Column("care_notes", sa.Text, nullable=True),  # a Fernet token; None: no notes
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Consents as given: one row per giving; a withdrawal stamps withdrawn_at. A consent counts only
# for the text version it was given to (app/reference/consents.json).
consents = sa.Table(
    "consents", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("guardian_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False),
    sa.Column("purpose", sa.String(60), nullable=False),
    sa.Column("text_version", sa.String(40), nullable=False),
    sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("consents_guardian_purpose", "guardian_id", "purpose"),
)

# When a family last used the service (sign-in, a change): the retention purge's clock.
guardian_activity = sa.Table(
    "guardian_activity", metadata,
    sa.Column("guardian_id", sa.String(40), sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("last_active_at", sa.DateTime(timezone=True), nullable=False),
)

# Every opening of a child's record by staff (granted or denied): ids only, append-only (triggers,
# 0010), kept when the family's data is deleted.
child_access_log = sa.Table(
    "child_access_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("actor_id", sa.String(40), nullable=False),
    sa.Column("actor_role", sa.String(40), nullable=False),
    sa.Column("facility_id", sa.String(100), nullable=True),  # the staff's provider; None for admins
    sa.Column("child_id", sa.String(40), nullable=False, index=True),  # ix_child_access_log_child_id
    sa.Column("booking_id", sa.String(40), nullable=True),
    sa.Column("purpose", sa.String(60), nullable=False),
    sa.Column("outcome", sa.String(10), nullable=False),  # granted or denied
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("outcome IN ('granted', 'denied')", name="child_access_log_outcome"),
)
