"""Labels licensed by measurement: calibration records per subject × language × label kind,
and the licence each label needs before it is shown (see docs/ARCHITECTURE.md)."""

from assistant.licensing.kinds import (
    FAMILIES,
    LABEL_KINDS,
    SENTIMENT_KINDS,
    STANCE_KINDS,
    TRANSLATION_KINDS,
    LabelKind,
    kinds_named,
    label_kind,
)
from assistant.licensing.licences import DEFAULT_THRESHOLDS, Licence, Licences
from assistant.licensing.records import CalibrationRecord, wilson
from assistant.licensing.store import CALIBRATION_SCHEMA, RecordStore
from assistant.licensing.subjects import RULES, judge_subject, model_subject

__all__ = [
    "CALIBRATION_SCHEMA",
    "DEFAULT_THRESHOLDS",
    "FAMILIES",
    "LABEL_KINDS",
    "RULES",
    "SENTIMENT_KINDS",
    "STANCE_KINDS",
    "TRANSLATION_KINDS",
    "CalibrationRecord",
    "LabelKind",
    "Licence",
    "Licences",
    "RecordStore",
    "judge_subject",
    "kinds_named",
    "label_kind",
    "model_subject",
    "wilson",
]
