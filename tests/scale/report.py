"""The campaign's report: printed at the end of `make test-scale`, and the last one kept
in the README between the `scale-report` markers, with its date."""

import re
from datetime import UTC, datetime
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"(<!-- scale-report -->\n).*?(<!-- /scale-report -->)", re.DOTALL)


def render(outcome: object) -> str:
    c, run, audit = outcome.config, outcome.run, outcome.audit  # type: ignore[attr-defined]
    during, outside = run.server_errors()
    seconds = run.finished - run.started
    lines = [
        f"Campaign of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {c.gifts} partner gifts from "
        f"two brands, {c.claims} claims, {c.checkouts} checkouts, {seconds:.0f} s of load "
        f"and settling (broker: {'RabbitMQ' if c.on_rabbitmq else 'Redis'}).",
        "",
        "| phase | requests | p50 ms | p99 ms | 5xx |",
        "|---|---:|---:|---:|---:|",
    ]
    for phase, figures in sorted(run.phases().items()):
        lines.append(
            f"| {phase} | {figures['requests']} | {figures['p50_ms']} | {figures['p99_ms']} "
            f"| {figures['5xx']} |"
        )
    lines += ["", "| fault | from | seconds | note |", "|---|---:|---:|---|"]
    for window in run.windows:
        lines.append(
            f"| {window.fault} | +{window.start - run.started:.0f} s "
            f"| {window.end - window.start:.1f} | {window.note} |"
        )
    sending = [r for r in run.records if r.phase == "gifts"]
    if sending:
        begun, ended = min(r.at for r in sending), max(r.at + r.latency for r in sending)
        busy = sum(1 for r in run.records if begun <= r.at <= ended)
        lines += [
            "",
            f"Throughput while the gifts were sent: {busy} requests in {ended - begun:.0f} s, "
            f"{busy / max(ended - begun, 1):.1f} requests/s through the balancer "
            f"({len(sending) / max(ended - begun, 1):.1f} partner-API gifts/s).",
        ]
    unique = len(outcome.received)  # type: ignore[attr-defined]
    total = sum(outcome.received.values())  # type: ignore[attr-defined]
    lines += [
        "",
        f"- gifts: {audit['gifts']} ({', '.join(f'{k} {v}' for k, v in sorted(audit['by_status'].items()))}); "
        f"sent {run.gifts_sent}, claimed {run.claims_done} (opened after expiry "
        f"{run.claims_too_late}), checkouts paid {run.checkouts_paid}",
        f"- refunds: {audit['refunded_units']} of {audit['unclaimed_units']} unclaimed units; "
        f"duplicates {len(audit['refunds_duplicate'])}, missing {len(audit['refunds_missing'])}",
        f"- webhooks: {audit['webhook_events']} events, {unique} (event, endpoint) pairs "
        f"received, {total - unique} repeats",
        f"- 5xx: {len(during)} while a node was down, {len(outside)} at any other time",
        f"- reconcile: exit {outcome.reconcile[0]}",  # type: ignore[attr-defined]
    ]
    return "\n".join(lines)


def write_into_readme(report: str) -> None:
    text = README.read_text()
    if _BLOCK.search(text):
        README.write_text(_BLOCK.sub(lambda m: f"{m[1]}{report}\n{m[2]}", text))
