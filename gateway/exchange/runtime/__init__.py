"""The way of a request file through the gateway: reception, claims, the worker, forwarding, retention.

A file is registered on receipt (:mod:`.reception`), claimed by one worker (:mod:`.claims`,
:mod:`.worker`), checked by :mod:`gateway.exchange.checks` and answered once
(:mod:`.processing`); its accepted records are handed to the back office exactly once
(:mod:`.forwarding`). :mod:`.recovery` and :mod:`.adopt` bring back what a crash left.
"""
