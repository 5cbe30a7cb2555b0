"""Requests: the patient's and the receptionist's wizard, "Your requests", the practice's request list and today's signposted patients, over services.requests."""
