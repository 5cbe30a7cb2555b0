"""The practice workspace: sign-in, Patient Management, Create Request, practice settings."""
