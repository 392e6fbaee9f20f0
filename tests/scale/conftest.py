"""The campaign runs once per session: `make test-scale` (pytest tests/scale).

The fixture builds the cluster (tests/scale/cluster.py), runs the campaign with its
faults (campaign.py), audits the database and the webhook receiver, prints the report and
writes it into the README, and stops every process it started. The tests then check one
outcome each against what it found.
"""

import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from .campaign import Run, run_campaign
from .cluster import Cluster, Config
from .report import render, write_into_readme


@pytest.fixture(scope="session", autouse=True)
def _collected_static() -> None:
    """The suite collects static files for its in-process server; the cluster collects
    its own, into its VAR_DIR."""


@dataclass
class Outcome:
    config: Config
    run: Run
    audit: dict
    received: Counter  # (endpoint path, event id) → deliveries the receiver got
    paths: dict  # endpoint id → receiver path
    reconcile: tuple[int, str]
    logs: dict[str, str]


@pytest.fixture(scope="session")
def campaign() -> Iterator[Outcome]:
    cluster = Cluster(Config.from_env())
    try:
        made = cluster.prepare()
        cluster.start()
        run = run_campaign(cluster, made)
        audit = json.loads(
            cluster.run(sys.executable, "-m", "tests.scale.audit").strip().splitlines()[-1]
        )
        reconcile = cluster.manage_status("reconcile")
        received: Counter = Counter()
        deliveries = cluster.workdir / "webhooks.jsonl"
        for line in deliveries.read_text().splitlines() if deliveries.exists() else []:
            entry = json.loads(line)
            received[(entry["path"], entry["id"])] += 1
        outcome = Outcome(
            config=cluster.config,
            run=run,
            audit=audit,
            received=received,
            paths={b["endpoint"]: b["path"] for b in made["brands"]},
            reconcile=reconcile,
            logs={name: str(p.log) for name, p in cluster.processes.items()},
        )
        report = render(outcome)
        print("\n" + report, flush=True)
        write_into_readme(report)
        yield outcome
    finally:
        cluster.stop()
