"""The hand-off to the provincial one-stop system: payloads, the adapter client, the stand-in, reports.

A stage library: plain facts in, plain payloads and answers out. It knows nothing of the register
or the queues; `workers/sync.py` feeds it from the outbox.
"""
