"""Pages of closing the loop (issue 11).

- ``practice_queue``: /practice/requests, the practice's queue.
- ``practice_request``: /practice/request?id=, one request and what staff do with it.
"""
