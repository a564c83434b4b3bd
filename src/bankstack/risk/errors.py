"""Risk errors: each names one cause, carries a stable code and a category (kernel/errors)."""

from __future__ import annotations

from bankstack.kernel.errors import Conflict, NotFound, Unavailable, ValidationFailed


class RuleSetInvalid(ValidationFailed):
    """A rule set that does not parse or compile, references an unknown feature or function,
    or has inconsistent thresholds. Nothing is stored or activated."""

    code = "risk.ruleset_invalid"


class RuleSetNotFound(NotFound):
    code = "risk.ruleset_not_found"


class RuleSetStateConflict(Conflict):
    """Activating a retired rule set, storing a version twice with other content ..."""

    code = "risk.ruleset_state_conflict"


class ModelNotFound(NotFound):
    code = "risk.model_not_found"


class ModelUnavailable(Unavailable):
    """The model could not score (load failure, exception, out of time)."""

    code = "risk.model_unavailable"


class CaseNotFound(NotFound):
    code = "risk.case_not_found"


class CaseTransitionInvalid(Conflict):
    code = "risk.case_transition_invalid"


class DecisionNotFound(NotFound):
    code = "risk.decision_not_found"


class EventInvalid(ValidationFailed):
    code = "risk.event_invalid"


class FeaturesUnavailable(Unavailable):
    """The feature store (Redis) did not answer: no decision can be taken, so the action is
    refused as retryable (fail closed: money never moves unscreened)."""

    code = "risk.features_unavailable"
