"""The database writes the audit entry of every report change, and (PostgreSQL) announces it.

Every insert or update of ``availability`` adds its audit entry in the same transaction, so no
code path can change a report without one, and a report write is a single statement. On
PostgreSQL the new entry is also sent to the servers' listeners (``app.db.watch``) as a
NOTIFY payload carrying the report itself, so they apply it without a query; a report too big
for a payload is announced by facility id only, and the listener reads it.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CHANNEL = "dolbom_availability"  # app.db.watch.CHANNEL (a migration must not import the app)
MAX_PAYLOAD_BYTES = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes and more

_COLUMNS = "facility_id, actor, at, version, old, new"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE TRIGGER availability_audit_insert AFTER INSERT ON availability "
                   f"BEGIN INSERT INTO audit_log ({_COLUMNS}) VALUES (NEW.facility_id, "
                   "NEW.reported_by, NEW.reported_at, NEW.version, NULL, NEW.data); END")
        op.execute("CREATE TRIGGER availability_audit_update AFTER UPDATE ON availability "
                   f"BEGIN INSERT INTO audit_log ({_COLUMNS}) VALUES (NEW.facility_id, "
                   "NEW.reported_by, NEW.reported_at, NEW.version, OLD.data, NEW.data); END")
        return
    op.execute(f"""
        CREATE FUNCTION availability_audit() RETURNS trigger AS $$
        DECLARE
            old_data text;
            entry integer;
            payload text;
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                old_data := OLD.data;
            END IF;
            INSERT INTO audit_log ({_COLUMNS})
            VALUES (NEW.facility_id, NEW.reported_by, NEW.reported_at, NEW.version, old_data,
                    NEW.data)
            RETURNING id INTO entry;
            payload := json_build_object(
                'audit_id', entry, 'facility_id', NEW.facility_id, 'version', NEW.version,
                'reported_at', NEW.reported_at, 'reported_by', NEW.reported_by,
                'data', NEW.data)::text;
            IF octet_length(payload) > {MAX_PAYLOAD_BYTES} THEN
                payload := json_build_object('audit_id', entry,
                                             'facility_id', NEW.facility_id)::text;
            END IF;
            PERFORM pg_notify('{CHANNEL}', payload);
            RETURN NULL;
        END $$ LANGUAGE plpgsql""")
    op.execute("CREATE TRIGGER availability_audit AFTER INSERT OR UPDATE ON availability "
               "FOR EACH ROW EXECUTE FUNCTION availability_audit()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS availability_audit_insert")
        op.execute("DROP TRIGGER IF EXISTS availability_audit_update")
        return
    op.execute("DROP TRIGGER IF EXISTS availability_audit ON availability")
    op.execute("DROP FUNCTION IF EXISTS availability_audit()")
