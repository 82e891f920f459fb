"""Database models, one module per concept; import them all from here."""
from .users import Role, User
from .content import AcceptedAnswer, Bank, Document, ItemKind, ItemOrigin, ItemStatus, Option, Passage, Question
from .attempts import (
    Attempt, AttemptItem, AttemptMode, AttemptOption, AttemptStatus, Regrade, Response, ResponseChoice,
    ResponseText,
)
from .reports import REPORT_REASONS, ItemReport, ReportReason
from .review import Card, ReviewLog
from .stats import StatisticsEpoch, StoredStatistics

__all__ = [
    "AcceptedAnswer", "Attempt", "AttemptItem", "AttemptMode", "AttemptOption", "AttemptStatus", "Bank", "Card",
    "Document", "ItemKind", "ItemReport", "REPORT_REASONS", "Regrade", "ReportReason", "ItemOrigin", "ItemStatus", "Option", "Passage", "Question",
    "Response", "ResponseChoice", "ResponseText", "ReviewLog", "Role", "StatisticsEpoch", "StoredStatistics", "User",
]
