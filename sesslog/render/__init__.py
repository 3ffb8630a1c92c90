"""Pure text renderers for people: tree and context views with control characters escaped."""
