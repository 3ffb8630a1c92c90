"""The tree layer: the pure index of a session's entries, paths, branches and the model
context. No I/O.
"""
