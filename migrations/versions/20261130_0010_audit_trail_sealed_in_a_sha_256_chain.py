"""audit trail sealed in a SHA-256 chain at each commit

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 15:10:02.113542

Security issue 13 (item 8); docs/decisions/0001-database-roles-and-derived-tables.md.
Every audit row is stamped with its time and the transaction that inserted it, whatever
the inserter gave. At commit one deferred trigger (queued by the transaction's first row
only) seals the transaction's rows into ``audit_seal``: their ids, each row's SHA-256, and
hash = sha256(prev_hash || the row hashes in id order), chained to the seal before. Only
the owner can write (or read) ``audit_seal``; ``ims audit verify`` walks the chain.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = 'ims_app'  # as ims.db.session.APP_ROLE; a migration keeps its own copy
APPEND_ONLY = ('audit_event', 'hazard_revision', 'hazard_estimate', 'release', 'release_item',
               'work_plan_target')
INSERT_ONLY = (*APPEND_ONLY, 'hazard', 'report_run')
DERIVED = ('ledger_entry', 'ledger_piece', 'hazard_remaining', 'hazard_overlap')
READ_ONLY = (*DERIVED, 'alembic_version', 'spatial_ref_sys')
APP_FUNCTIONS = ('ims_ledger_stage()', 'ims_ledger_store(integer[], boolean)',
                 'ims_refresh_overlaps(integer[])')
OWNER_FUNCTIONS = ('ims_audit_seal()', 'ims_grant_app_role()')

# One audit row's hash: SHA-256 of a canonical JSON array of every column (the time in UTC
# to the microsecond). ims.db.audit.ROW_HASH is the same expression; keep them equal.
ROW_HASH = ("sha256(convert_to(jsonb_build_array(e.id, "
            "to_char(e.at AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS.US'), e.actor, "
            "e.actor_user_id, e.action, e.object_type, e.object_id, e.hazard_id, "
            "e.submission_id, e.before, e.after, e.tx)::text, 'UTF8'))")
GENESIS = "decode(repeat('00', 32), 'hex')"  # the prev_hash of the first seal
SEAL_LOCK = 7305648297143219  # the advisory lock taken (at commit only) to extend the chain

GRANTS = f"""
    CREATE OR REPLACE FUNCTION ims_grant_app_role() RETURNS void LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        -- EXECUTE is PUBLIC's by default, and a restore without privileges resets it.
        REVOKE ALL ON FUNCTION {", ".join(APP_FUNCTIONS + OWNER_FUNCTIONS)} FROM PUBLIC;
        -- Nobody but the owner makes objects in the schema (PostgreSQL before 15 let all).
        REVOKE CREATE ON SCHEMA public FROM PUBLIC;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            RETURN;
        END IF;
        GRANT USAGE ON SCHEMA public TO {APP_ROLE};
        REVOKE CREATE ON SCHEMA public FROM {APP_ROLE};
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE};
        REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE};
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE};
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE};
        REVOKE UPDATE, DELETE ON {", ".join(INSERT_ONLY)} FROM {APP_ROLE};
        REVOKE INSERT, UPDATE, DELETE ON {", ".join(READ_ONLY)} FROM {APP_ROLE};
        REVOKE ALL ON audit_seal FROM {APP_ROLE};
        GRANT EXECUTE ON FUNCTION {", ".join(APP_FUNCTIONS)} TO {APP_ROLE};
    END $$
"""

# The grants of revision 0009, for the downgrade.
GRANTS_0009 = f"""
    CREATE OR REPLACE FUNCTION ims_grant_app_role() RETURNS void LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
        -- EXECUTE is PUBLIC's by default, and a restore without privileges resets it.
        REVOKE ALL ON FUNCTION {", ".join(APP_FUNCTIONS)}, ims_grant_app_role() FROM PUBLIC;
        -- Nobody but the owner makes objects in the schema (PostgreSQL before 15 let all).
        REVOKE CREATE ON SCHEMA public FROM PUBLIC;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            RETURN;
        END IF;
        GRANT USAGE ON SCHEMA public TO {APP_ROLE};
        REVOKE CREATE ON SCHEMA public FROM {APP_ROLE};
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE};
        REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE};
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE};
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE};
        REVOKE UPDATE, DELETE ON {", ".join(INSERT_ONLY)} FROM {APP_ROLE};
        REVOKE INSERT, UPDATE, DELETE ON {", ".join(READ_ONLY)} FROM {APP_ROLE};
        GRANT EXECUTE ON FUNCTION {", ".join(APP_FUNCTIONS)} TO {APP_ROLE};
    END $$
"""


# Per row (cheap, no SET clause: every name is schema-qualified): the row's time and
# transaction are the database's, its id the sequence's (so ids grow within a
# transaction); and the first row of a transaction queues the seal (the trigger's WHEN,
# which notes that row's id), so a big transaction queues one event, not one per row.
AUDIT_ROW_FUNCTIONS = """
    CREATE FUNCTION ims_audit_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.id IS DISTINCT FROM pg_catalog.currval('public.audit_event_id_seq'::regclass)
        THEN
            RAISE EXCEPTION 'audit_event ids come from its sequence'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        NEW.at := pg_catalog.clock_timestamp();
        NEW.tx := pg_catalog.txid_current();
        RETURN NEW;
    END $$;

    CREATE FUNCTION ims_audit_seal_queue(first_id bigint) RETURNS boolean LANGUAGE plpgsql
    AS $$
    BEGIN
        IF pg_catalog.current_setting('ims.audit_seal_from', true) <> '' THEN
            RETURN false;  -- queued already, from an earlier row of this transaction
        END IF;
        PERFORM pg_catalog.set_config('ims.audit_seal_from', first_id::text, true);
        RETURN true;
    END $$
"""

# At commit (deferred): seal this transaction's rows. The hashes are computed before the
# lock; the lock is held only to read the chain's head and append to it.
AUDIT_SEAL = f"""
    CREATE FUNCTION ims_audit_seal() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp AS $$
    DECLARE
        from_id bigint := nullif(current_setting('ims.audit_seal_from', true), '')::bigint;
        ids bigint[];
        hashes bytea[];
        joined bytea;
        last_no bigint;
        prev bytea;
    BEGIN
        PERFORM set_config('ims.audit_seal_from', '', true);  -- rows added later: queue again
        -- This transaction's rows from the first one not sealed yet (ids grow within a
        -- transaction; the id also keeps out rows of a restored database whose
        -- transaction number this one happens to reuse).
        SELECT array_agg(e.id ORDER BY e.id), array_agg({ROW_HASH} ORDER BY e.id)
          INTO ids, hashes
          FROM public.audit_event e
         WHERE e.tx = txid_current() AND e.id >= from_id;
        IF ids IS NULL THEN
            RETURN NULL;
        END IF;
        SELECT string_agg(h, ''::bytea ORDER BY o) INTO joined
          FROM unnest(hashes) WITH ORDINALITY AS u(h, o);
        PERFORM pg_advisory_xact_lock({SEAL_LOCK});
        SELECT s.seal_no, s.hash INTO last_no, prev
          FROM public.audit_seal s ORDER BY s.seal_no DESC LIMIT 1;
        prev := coalesce(prev, {GENESIS});
        INSERT INTO public.audit_seal (seal_no, tx, event_ids, event_hashes, prev_hash, hash)
        VALUES (coalesce(last_no, 0) + 1, txid_current(), ids, hashes, prev,
                sha256(prev || joined));
        RETURN NULL;
    END $$
"""


def upgrade() -> None:
    """The seal table, the stamp and seal triggers, and the first seal of the rows so far."""
    op.create_table('audit_seal',
    sa.Column('seal_no', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('sealed_at', sa.DateTime(timezone=True), server_default=sa.text('clock_timestamp()'), nullable=False),
    sa.Column('tx', sa.BigInteger(), nullable=False),
    sa.Column('event_ids', postgresql.ARRAY(sa.BigInteger()), nullable=False),
    sa.Column('event_hashes', postgresql.ARRAY(sa.LargeBinary()), nullable=False),
    sa.Column('prev_hash', sa.LargeBinary(), nullable=False),
    sa.Column('hash', sa.LargeBinary(), nullable=False),
    sa.CheckConstraint('cardinality(event_ids) = cardinality(event_hashes)', name=op.f('ck_audit_seal_one_hash_each')),
    sa.CheckConstraint('length(hash) = 32 AND length(prev_hash) = 32', name=op.f('ck_audit_seal_sha256')),
    sa.PrimaryKeyConstraint('seal_no', name=op.f('pk_audit_seal')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_seal_hash')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_audit_seal_prev_hash'))
    )
    op.add_column('audit_event', sa.Column('tx', sa.BigInteger(), nullable=True))
    op.create_index(op.f('ix_audit_event_tx'), 'audit_event', ['tx'], unique=False)

    # The rows from before the chain: sealed as they are by the first seal.
    op.execute(f"""
        INSERT INTO audit_seal (seal_no, tx, event_ids, event_hashes, prev_hash, hash)
        SELECT 1, txid_current(), array_agg(id ORDER BY id), array_agg(h ORDER BY id),
               {GENESIS}, sha256({GENESIS} || string_agg(h, ''::bytea ORDER BY id))
        FROM (SELECT e.id, {ROW_HASH} AS h FROM audit_event e) rows
        HAVING count(*) > 0
    """)
    op.execute("""
        CREATE FUNCTION ims_audit_row_hash(e audit_event) RETURNS bytea LANGUAGE sql STABLE
        SET search_path = pg_catalog, public, pg_temp
        AS $$ SELECT """ + ROW_HASH + " $$")
    op.execute(AUDIT_ROW_FUNCTIONS)
    op.execute(AUDIT_SEAL)
    op.execute("CREATE TRIGGER audit_event_stamp BEFORE INSERT ON audit_event "
               "FOR EACH ROW EXECUTE FUNCTION ims_audit_stamp()")
    op.execute("CREATE CONSTRAINT TRIGGER audit_event_seal AFTER INSERT ON audit_event "
               "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (ims_audit_seal_queue(NEW.id)) "
               "EXECUTE FUNCTION ims_audit_seal()")
    op.execute("CREATE TRIGGER audit_seal_append_only BEFORE UPDATE OR DELETE ON audit_seal "
               "FOR EACH ROW EXECUTE FUNCTION ims_append_only()")
    op.execute("CREATE TRIGGER audit_seal_no_truncate BEFORE TRUNCATE ON audit_seal "
               "FOR EACH STATEMENT EXECUTE FUNCTION ims_append_only()")

    op.execute(GRANTS)
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    """Drop the seals and their triggers (the audit rows stay, unsealed)."""
    op.execute("DROP TRIGGER IF EXISTS audit_seal_no_truncate ON audit_seal")
    op.execute("DROP TRIGGER IF EXISTS audit_seal_append_only ON audit_seal")
    op.execute("DROP TRIGGER IF EXISTS audit_event_seal ON audit_event")
    op.execute("DROP TRIGGER IF EXISTS audit_event_stamp ON audit_event")
    op.execute(GRANTS_0009)
    for function in ('ims_audit_seal()', 'ims_audit_seal_queue(bigint)', 'ims_audit_stamp()',
                     'ims_audit_row_hash(audit_event)'):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.execute("SELECT ims_grant_app_role()")
    op.drop_index(op.f('ix_audit_event_tx'), table_name='audit_event')
    op.drop_column('audit_event', 'tx')
    op.drop_table('audit_seal')
