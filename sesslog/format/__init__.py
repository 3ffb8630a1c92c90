"""The format layer: entry declarations, codec, records, upgrades, the framing reader and
its diagnostics. Pure: no I/O beyond the bytes handed in.
"""
