"""A payment's refunds (requested or done) never add up to more than was paid, checked by
PostgreSQL at commit.

`refunds_create` already adds them up under a lock on the payment; this makes any other
writer (a hand-written fix, a future code path) fail instead of moving money twice. A
constraint trigger, deferred to the end of the transaction, because the rule spans rows.
SQLite, the embedded default for trying the shop, has no such triggers.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION payments_refunds_within_payment() RETURNS trigger AS $$
DECLARE
    paid numeric;
    refunded numeric;
BEGIN
    SELECT amount INTO paid FROM payments_payment WHERE id = NEW.payment_id;
    SELECT coalesce(sum(amount), 0) INTO refunded FROM payments_refund
        WHERE payment_id = NEW.payment_id AND status IN ('pending', 'succeeded');
    IF refunded > paid THEN
        RAISE EXCEPTION 'refunds_within_payment: payment % has % refunded of % paid',
            NEW.payment_id, refunded, paid
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_within_payment';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""
TRIGGER = """
CREATE CONSTRAINT TRIGGER refunds_within_payment
    AFTER INSERT OR UPDATE OF amount, status, payment_id ON payments_refund
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payments_refunds_within_payment();
"""
DROP = """
DROP TRIGGER IF EXISTS refunds_within_payment ON payments_refund;
DROP FUNCTION IF EXISTS payments_refunds_within_payment();
"""
OVER_REFUNDED = """
SELECT p.id FROM payments_payment p JOIN payments_refund r ON r.payment_id = p.id
WHERE r.status IN ('pending', 'succeeded')
GROUP BY p.id HAVING sum(r.amount) > max(p.amount) ORDER BY p.id
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(OVER_REFUNDED)
        if ids := [row[0] for row in cursor.fetchall()]:
            raise RuntimeError(
                f"{len(ids)} payments have more refunded than paid (first ids {ids[:10]}); "
                "reconcile them with the provider, then migrate again."
            )
        cursor.execute(FUNCTION)
        cursor.execute(TRIGGER)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("payments", "0002_ledger_state_constraints")]

    operations = [migrations.RunPython(create, drop)]
