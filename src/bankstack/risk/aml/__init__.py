"""AML: detectors over the payment and ledger stream that raise alerts into cases.

Pure and streaming: an ``AmlMonitor`` is fed ``Movement``s in time order and returns
``Alert``s, with no I/O and memory bounded by its horizon (24 h by default). Detectors:

    structuring    >= 3 amounts in [90%, 100%) of the reporting threshold by one payer in 24 h
    pass_through   >= 80% of what a party received sent on within 1 h of receiving it
    fan_in         >= 10 distinct payers into one party in 24 h (account-to-account money)
    fan_out        >= 10 distinct payees out of one party in 24 h
    cycle          money back at its origin through 2-4 hops in 24 h, each hop >= 50% of the last

Every threshold is a field of ``Thresholds``. ``quality.measure`` scores the detectors on a
labelled synthetic stream from ``bankstack.risk.simulator``.
"""

from bankstack.risk.aml.monitor import AmlMonitor
from bankstack.risk.aml.thresholds import Thresholds

__all__ = ["AmlMonitor", "Thresholds"]
