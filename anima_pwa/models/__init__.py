"""SQLModel tables, one module per aggregate. Importing this registers every table."""

from anima_pwa.models.accounts import Account, AuthSession, OneTimeToken, RateLimitHit, RecoveryCode
from anima_pwa.models.appointments import (
    INVITE_STATUSES,
    SLOT_KINDS,
    SLOT_STATUSES,
    Appointment,
    AppointmentBook,
    AppointmentInvite,
    BookException,
    RotaSession,
    Slot,
)
from anima_pwa.models.audit import AuditEvent
from anima_pwa.models.base import id_of, utcnow
from anima_pwa.models.idempotency import IdempotencyKey
from anima_pwa.models.notifications import OutboxMessage, PushSubscription
from anima_pwa.models.patients import AccountPatient, Patient
from anima_pwa.models.practices import Practice, PracticeRegisterEntry, StaffMember
from anima_pwa.models.requests import (
    OPEN_SQL,
    OPEN_STATUSES,
    OUTCOMES,
    REQUEST_STATUSES,
    URGENCY_RANKS,
    CapacityCounter,
    ClosedDay,
    CoreHoursChange,
    EmergencySignpost,
    MessageAttachment,
    PracticeSettings,
    RecordExport,
    Request,
    RequestMessage,
)

__all__ = [
    "IdempotencyKey",
    "INVITE_STATUSES",
    "SLOT_KINDS",
    "SLOT_STATUSES",
    "Appointment",
    "AppointmentBook",
    "AppointmentInvite",
    "BookException",
    "RotaSession",
    "Slot",
    "OPEN_SQL",
    "OPEN_STATUSES",
    "OUTCOMES",
    "REQUEST_STATUSES",
    "URGENCY_RANKS",
    "MessageAttachment",
    "RecordExport",
    "RequestMessage",
    "CapacityCounter",
    "ClosedDay",
    "CoreHoursChange",
    "EmergencySignpost",
    "PracticeSettings",
    "Request",
    "Account",
    "AccountPatient",
    "AuditEvent",
    "AuthSession",
    "OneTimeToken",
    "OutboxMessage",
    "PushSubscription",
    "Patient",
    "Practice",
    "PracticeRegisterEntry",
    "RateLimitHit",
    "RecoveryCode",
    "StaffMember",
    "id_of",
    "utcnow",
]
