"""Projections: rebuildable views of sessions (the V2 sidecar, catalogs), the registry that
opening and stores consult, and the services they share (freshness, the ledger).

Importing this package imports no projection: each is loaded by its registry entry when used.
"""
