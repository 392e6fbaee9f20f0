"""The load generator: a separate process, so its CPU is not the server's measurement.

`python -m tests.perf.load` reads {"base", "seconds", "warmup", "concurrency", "target"}
(a target's plan, see http_targets.py) as JSON on stdin, keeps `concurrency` requests in
flight for `warmup` and then `seconds` seconds (or until a consuming target runs out of
rows), and prints what it measured as JSON: requests, failures (anything but 2xx/3xx,
and connection errors), requests per second, latency percentiles and the SQL statements
per request the server reported (X-Query-Count). Bounded in time by construction.
"""

import asyncio
import json
import statistics
import sys
import time

import aiohttp


def _percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(share * len(sorted_values)))]


async def _drive(plan: dict) -> dict:
    target = plan["target"]
    paths, bodies = target["paths"], target["bodies"]
    total = len(paths)
    next_request = 0
    latencies: list[float] = []
    queries: list[int] = []
    failures: dict[str, int] = {}
    started = time.monotonic()
    measure_from = started + plan["warmup"]
    stop_at = measure_from + plan["seconds"]

    def take() -> int | None:
        nonlocal next_request
        if not target["cycle"] and next_request >= total:
            return None
        n = next_request
        next_request += 1
        return n % total

    async def one(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < stop_at:
            n = take()
            if n is None:
                return
            kwargs = {}
            if bodies is not None:
                kwargs["json" if target["json"] else "data"] = bodies[n]
            begun = time.monotonic()
            try:
                async with session.request(
                    target["method"], plan["base"] + paths[n], allow_redirects=False, **kwargs
                ) as response:
                    await response.read()
                    status = response.status
                    counted = response.headers.get("X-Query-Count")
            except (aiohttp.ClientError, TimeoutError) as error:
                status, counted = type(error).__name__, None
            if begun < measure_from:
                continue
            latencies.append(time.monotonic() - begun)
            if counted is not None:
                queries.append(int(counted))
            if not (isinstance(status, int) and 200 <= status < 400):
                failures[str(status)] = failures.get(str(status), 0) + 1

    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=plan["concurrency"])
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, headers=target["headers"]
    ) as session:
        await asyncio.gather(*(one(session) for _ in range(plan["concurrency"])))
    elapsed = min(time.monotonic(), stop_at) - measure_from
    latencies.sort()
    return {
        "requests": len(latencies),
        "failures": failures,
        "seconds": round(elapsed, 2),
        "rps": len(latencies) / elapsed if elapsed > 0 else 0.0,
        "p50_ms": 1000 * _percentile(latencies, 0.50),
        "p99_ms": 1000 * _percentile(latencies, 0.99),
        "queries_per_request": statistics.mean(queries) if queries else None,
    }


def main() -> None:
    plan = json.load(sys.stdin)
    json.dump(asyncio.run(_drive(plan)), sys.stdout)


if __name__ == "__main__":
    main()
