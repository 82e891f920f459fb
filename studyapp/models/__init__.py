"""Database models, one module per concept; import them all from here."""
from .users import Role, User
from .content import AcceptedAnswer, Bank, Document, ItemKind, ItemOrigin, ItemStatus, Option, Passage, Question
from .attempts import Attempt, AttemptItem, AttemptOption, AttemptStatus, Response, ResponseChoice, ResponseText

__all__ = [
    "AcceptedAnswer", "Attempt", "AttemptItem", "AttemptOption", "AttemptStatus", "Bank",
    "Document", "ItemKind", "ItemOrigin", "ItemStatus", "Option", "Passage", "Question",
    "Response", "ResponseChoice", "ResponseText", "Role", "User",
]
