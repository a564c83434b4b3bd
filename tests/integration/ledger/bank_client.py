"""A client process of the crash test: random transfers over HTTP, logging every attempt.

Each attempt is logged before it is sent (so a crash of the server leaves it "unknown") and
again with its answer. The test later retries every unknown attempt with the same id.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import httpx


def run(
    base_urls: list[str], token: str, accounts: list[str], log_path: str, seconds: float, seed: int
) -> None:
    rnd = random.Random(seed)
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    with Path(log_path).open("w") as log, httpx.Client(timeout=3.0, headers=headers) as http:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            debit, credit = rnd.sample(accounts, 2)
            transfer = {
                "id": str(seed * 10**12 + n),
                "debit_account_id": debit,
                "credit_account_id": credit,
                "amount": rnd.randint(1, 60),
                "ledger": 1,
                "code": 1,
            }
            url = rnd.choice(base_urls)
            try:
                response = http.post(f"{url}/v1/ledger/transfers", json={"transfers": [transfer]})
                if response.status_code == 200:
                    outcome = response.json()["results"][0]["result"]
                else:
                    outcome = f"http_{response.status_code}"
            except httpx.HTTPError:
                outcome = "unknown"  # the server may or may not have applied it
                time.sleep(0.05)
            log.write(json.dumps({"transfer": transfer, "outcome": outcome}) + "\n")
            log.flush()
