"""The store layer: many sessions in one root (listing, search, trash, snapshots, live tail)."""
