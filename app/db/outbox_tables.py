"""Tables of the outbox's delivery (app.care.outbox; migration 0012): one row per recipient and
channel of each outbox message, people's contact preferences, and the in-page notifications.

The outbox table itself (and its lease columns) is ``app.db.engine.outbox``.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.db.engine import metadata

DELIVERY_STATES = ("pending", "sending", "sent", "failed")
"""pending: not tried yet or to be tried again; sending: handed to the provider and not yet
answered (a worker killed here leaves it so: the next try reuses the idempotency key); sent; failed
(permanently, or out of attempts)."""

LOCALES = ("ko", "en")

# One row per message × channel × recipient, so a recipient is sent each channel once even when
# another channel of the same message fails and is tried again.
outbox_deliveries = sa.Table(
    "outbox_deliveries", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("outbox_id", sa.Integer, sa.ForeignKey("outbox.id", ondelete="CASCADE"), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),  # email, sms, in_page
    sa.Column("user_id", sa.String(40), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("provider_message_id", sa.String(200), nullable=True),
    sa.Column("last_error", sa.String(500), nullable=True),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("outbox_id", "channel", "user_id", name="outbox_deliveries_once"),
    sa.CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in DELIVERY_STATES) + ")",
                       name="outbox_deliveries_status"),
    sa.CheckConstraint("attempts >= 0", name="outbox_deliveries_attempts"),
)

# How a person is reached: the e-mail is users.email; the phone (digits only) for SMS/알림톡; the
# language of their messages; opt-ins per channel (the in-page channel is always on). No row: Korean,
# e-mail on, no SMS.
user_contacts = sa.Table(
    "user_contacts", metadata,
    sa.Column("user_id", sa.String(40), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("phone", sa.String(20), nullable=True),
    sa.Column("locale", sa.String(2), nullable=False),
    sa.Column("email_opt_in", sa.Boolean, nullable=False),
    sa.Column("sms_opt_in", sa.Boolean, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("locale IN ('ko', 'en')", name="user_contacts_locale"),
)

# The in-page channel: what the page lists for a person, rendered in their language when written;
# one row per message and person (the unique constraint makes the write idempotent).
notifications = sa.Table(
    "notifications", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.String(40), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("outbox_id", sa.Integer, nullable=False),
    sa.Column("topic", sa.String(60), nullable=False),
    sa.Column("locale", sa.String(2), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("outbox_id", "user_id", name="notifications_once"),
    sa.Index("ix_notifications_user_created", "user_id", "created_at"),
)
