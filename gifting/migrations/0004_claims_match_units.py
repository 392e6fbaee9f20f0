"""The claimed units of a gift match its claims, checked by PostgreSQL at commit.

A check constraint sees one row; this rule spans two tables, so it is a constraint
trigger, deferred to the end of the transaction: a claim takes its unit
(`units_claimed + 1`) and inserts its row in one transaction, in either order. SQLite, the
embedded default for trying the shop, has no such triggers; the suite runs on PostgreSQL.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION gifting_claims_match_units() RETURNS trigger AS $$
DECLARE
    gid bigint;
    claimed integer;
    counted integer;
BEGIN
    IF TG_TABLE_NAME = 'gifting_gift' THEN
        gid := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        gid := OLD.gift_id;
    ELSE
        gid := NEW.gift_id;
    END IF;
    SELECT units_claimed INTO claimed FROM gifting_gift WHERE id = gid;
    IF claimed IS NULL THEN
        RETURN NULL;  -- the gift itself was deleted
    END IF;
    SELECT count(*) INTO counted FROM gifting_giftclaim WHERE gift_id = gid;
    IF claimed <> counted THEN
        RAISE EXCEPTION 'gift_claims_match_units: gift % has % units claimed but % claims',
            gid, claimed, counted
            USING ERRCODE = 'check_violation', CONSTRAINT = 'gift_claims_match_units';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""
TRIGGERS = """
CREATE CONSTRAINT TRIGGER gift_claims_match_units
    AFTER INSERT OR DELETE OR UPDATE OF gift_id ON gifting_giftclaim
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gifting_claims_match_units();
CREATE CONSTRAINT TRIGGER gift_units_match_claims
    AFTER INSERT OR UPDATE OF units_claimed ON gifting_gift
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gifting_claims_match_units();
"""
DROP = """
DROP TRIGGER IF EXISTS gift_claims_match_units ON gifting_giftclaim;
DROP TRIGGER IF EXISTS gift_units_match_claims ON gifting_gift;
DROP FUNCTION IF EXISTS gifting_claims_match_units();
"""
MISMATCHED = """
SELECT g.id FROM gifting_gift g LEFT JOIN gifting_giftclaim c ON c.gift_id = g.id
GROUP BY g.id HAVING g.units_claimed <> count(c.id) ORDER BY g.id
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(MISMATCHED)
        if ids := [row[0] for row in cursor.fetchall()]:
            raise RuntimeError(
                f"{len(ids)} gifts have a units_claimed that does not match their claims "
                f"(first ids {ids[:10]}); fix them, then migrate again."
            )
        cursor.execute(FUNCTION)
        cursor.execute(TRIGGERS)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("gifting", "0003_gift_state_constraints")]

    operations = [migrations.RunPython(create, drop)]
