"""A seeded, synthetic fraud/AML transaction world (PaySim-like), for tests and back-tests.

SYNTHETIC DATA ONLY. No package ships real fraud or AML transactions, so the risk engine is
tested against this simulator: invented customers with habits (home devices, IPs and phones,
account open dates, salaries, favourite merchants, friends) living an ordinary month, with
known typologies mixed in and labelled:

    account_takeover  card_testing  mule_fan_in  structuring  cycle  fan_out

Neither side is a caricature. Honest customers sometimes look suspicious, as real ones do
(lookalike.py, sharing.py): trips and new phones (new devices and IPs), online checkouts on
an office computer, first big purchases and rent far above the usual amount, bursts of small
payments, bills and trips shared among friends, loans, payments to strangers, small
businesses paid by transfer, payday sprees, family tablets, young accounts. Fraud blends in
(takeover.py, fraud.py, laundering.py): takeovers from the victim's own phone that spend like
the victim, card testing paced under the one-minute rules over rotating IPs, mule inflows and
laundering transfers the size of honest ones, structuring mixed with amounts below the band.
How much of each is set in ``SimulationConfig`` (config.py). Labels are the ground truth:
there is no label noise.

``simulate(config)`` yields ``LabelledEvent(event, fraud, typology)`` in time order; the same
config always yields the identical stream, event ids included. ``movements`` turns the
money-moving events into AML ``Movement``s; ``summary`` counts events per typology;
``episodes`` and ``suspects`` read the ground truth back for measuring detectors.
"""

from bankstack.risk.simulator.config import (
    ACCOUNT_TAKEOVER,
    CARD_TESTING,
    CYCLE,
    FAN_OUT,
    MULE_FAN_IN,
    REPORTING_THRESHOLD_MINOR,
    START_NS,
    STRUCTURING,
    TYPOLOGIES,
    SimulationConfig,
)
from bankstack.risk.simulator.emitter import LabelledEvent
from bankstack.risk.simulator.stream import NORMAL, movements, simulate, summary
from bankstack.risk.simulator.truth import episodes, suspects

__all__ = [
    "ACCOUNT_TAKEOVER",
    "CARD_TESTING",
    "CYCLE",
    "FAN_OUT",
    "MULE_FAN_IN",
    "NORMAL",
    "REPORTING_THRESHOLD_MINOR",
    "START_NS",
    "STRUCTURING",
    "TYPOLOGIES",
    "LabelledEvent",
    "SimulationConfig",
    "episodes",
    "movements",
    "simulate",
    "summary",
    "suspects",
]
