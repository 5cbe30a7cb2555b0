"""The request wizards, "Your requests", the practice's request list and signposted patients."""
