"""What must hold after the campaign (conftest.py runs it once): each test one outcome."""

from .conftest import Outcome


def test_every_fault_was_injected_without_error(campaign: Outcome) -> None:
    assert not campaign.run.fault_errors, campaign.run.fault_errors
    assert campaign.run.settled, "gifts, refunds or webhooks were still pending at the end"


def test_every_gift_was_sent_and_every_planned_claim_accepted_or_too_late(
    campaign: Outcome,
) -> None:
    """A claim whose link opened after its gift expired is counted apart, not failed."""
    run = campaign.run
    assert run.gifts_sent == campaign.config.gifts, run.gift_failures[:10]
    assert run.claim_failures == []
    assert run.claims_done + run.claims_too_late == campaign.config.claims


def test_most_planned_claims_came_in_time(campaign: Outcome) -> None:
    """Too-late claims are the load's lag; many would mean the window is too short."""
    assert campaign.run.claims_too_late <= campaign.config.claims // 20


def test_every_gift_has_exactly_one_final_outcome(campaign: Outcome) -> None:
    audit = campaign.audit
    assert audit["gifts"] == campaign.config.gifts
    assert set(audit["by_status"]) <= {"accepted", "expired"}, audit["by_status"]
    assert audit["by_status"].get("accepted", 0) == campaign.run.claims_done, audit["by_status"]
    assert audit["not_one_final_event"] == []


def test_no_gift_expired_before_its_time(campaign: Outcome) -> None:
    assert campaign.audit["expired_early"] == []


def test_refunds_equal_the_unclaimed_units_none_doubled_none_missing(campaign: Outcome) -> None:
    audit = campaign.audit
    assert audit["unclaimed_units"] == campaign.config.gifts - campaign.run.claims_done
    assert audit["refunds_duplicate"] == []
    assert audit["refunds_missing"] == []
    assert audit["refunds_wrong_amount"] == []
    assert audit["refunds_on_claimed_gifts"] == []
    assert audit["refunded_units"] == audit["unclaimed_units"]


def test_the_books_reconcile(campaign: Outcome) -> None:
    status, output = campaign.reconcile
    assert status == 0, output


def test_every_webhook_event_reached_each_endpoint_exactly_once(campaign: Outcome) -> None:
    expected = {
        (campaign.paths[endpoint], event) for event, endpoint, _ in campaign.audit["deliveries"]
    }
    assert {status for *_, status in campaign.audit["deliveries"]} == {"succeeded"}
    assert set(campaign.received) == expected
    repeated = {pair: n for pair, n in campaign.received.items() if n > 1}
    assert repeated == {}, f"delivered more than once: {list(repeated.items())[:10]}"


def test_no_5xx_outside_the_seconds_a_node_was_down(campaign: Outcome) -> None:
    _, outside = campaign.run.server_errors()
    shown = [(r.phase, round(r.at - campaign.run.started, 1), r.status) for r in outside[:20]]
    assert outside == [], f"{len(outside)} 5xx outside a node's downtime: {shown}"


def test_checkouts_were_paid_and_never_shown_unpaid_again(campaign: Outcome) -> None:
    assert campaign.run.checkouts_paid >= campaign.config.checkouts, campaign.run.checkout_failures[
        :10
    ]
    assert campaign.run.paid_shown_unpaid == 0
