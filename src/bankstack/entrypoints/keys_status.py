"""What ``bankstack keys webhook-status`` shows: a Rich table for people, a JSON document
for scripts (monitoring, a rotation runbook). Both name keys by id only, never their
material, and give times as ISO-8601 UTC."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table

from bankstack.kernel.clock import ns_to_datetime

if TYPE_CHECKING:
    from pathlib import Path

    from bankstack.gateway.adapters.endpoint_secrets import SecretCounts
    from bankstack.gateway.adapters.keyring import KeyInfo


def iso_utc(ns: int | None) -> str | None:
    if ns is None:  # a key written by hand without "created_at"
        return None
    return ns_to_datetime(ns).isoformat(timespec="seconds").replace("+00:00", "Z")


def status_document(keyring: Path, keys: list[KeyInfo], counts: SecretCounts) -> dict[str, Any]:
    return {
        "keyring": str(keyring),
        "newest": next(key.key_id for key in keys if key.newest),
        "keys": [
            {
                "id": key.key_id,
                "created_at": iso_utc(key.created_at_ns),
                "newest": key.newest,
                "sealed": counts.by_key[key.key_id],
            }
            for key in keys
        ],
        "legacy_plaintext": counts.legacy,
        "unknown_key": counts.unknown,
        "total": counts.total,
    }


def status_table(keys: list[KeyInfo], counts: SecretCounts) -> Table:
    table = Table(title="webhook endpoint secrets by key", title_justify="left")
    table.add_column("key", no_wrap=True)
    table.add_column("created (UTC)", no_wrap=True)
    table.add_column("newest")
    table.add_column("secrets", justify="right")
    for key in keys:
        table.add_row(
            key.key_id,
            iso_utc(key.created_at_ns) or "unknown",
            "yes" if key.newest else "",
            f"{counts.by_key[key.key_id]:,}",
        )
    table.add_section()
    table.add_row("plaintext (legacy)", "", "", f"{counts.legacy:,}")
    table.add_row("key not in ring", "", "", f"{counts.unknown:,}")
    table.caption = _next_step(keys, counts)
    table.caption_justify = "left"
    return table


def _next_step(keys: list[KeyInfo], counts: SecretCounts) -> str:
    """What the rotation procedure does next, read from the counts."""
    old = [key.key_id for key in keys if not key.newest]
    busy = [key_id for key_id in old if counts.by_key[key_id]]
    if busy or counts.legacy:
        return "some secrets are not under the newest key: restart the servers (they re-seal)"
    if old:
        return f"no secret needs {', '.join(old)}: `bankstack keys webhook-retire {old[0]}`"
    return f"{counts.total:,} secret(s), all under the newest key"
