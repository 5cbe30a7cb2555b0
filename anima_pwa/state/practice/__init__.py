"""The practice workspace: staff sign-in and MFA enrolment, Patient Management, Create Request and practice settings, over services.practice."""
