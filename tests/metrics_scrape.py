"""Reading `/metrics` in tests: the text must parse as Prometheus' format; samples by name and
labels. The registry lives as long as the test process, so tests compare before and after."""
from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(host: str, port: int) -> Samples:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://{host}:{port}/metrics") as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"].startswith("text/plain")
            text = await resp.text()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
