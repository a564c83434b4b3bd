"""Rows of a credit data set as loan applications."""

from __future__ import annotations

from bankstack.risk.models.datasets import Dataset


def applicant(data: Dataset, row: int) -> dict[str, int | float | str]:
    """One row of the data as a loan application's ``attr_`` features."""
    features: dict[str, int | float | str] = {}
    for column in data.inputs:
        value = data.values[column.name][row]
        if value is not None:
            features[f"attr_{column.name}"] = value if isinstance(value, str) else float(value)
    return features
