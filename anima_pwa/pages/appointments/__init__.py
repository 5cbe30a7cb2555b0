"""Appointments (issue 12): the practice's books and today's list (practice_*)."""
