"""The storage seam: where one session's bytes live.

:mod:`~sesslog.backends.protocol` declares what a backend and its writer do; the local folder
(:mod:`~sesslog.backends.local`, writing through :mod:`~sesslog.backends.local_writer` and the
replaceable OS calls of :mod:`~sesslog.backends.fileops`) and memory
(:mod:`~sesslog.backends.memory`) implement it. :mod:`~sesslog.backends.fingerprints` and
:mod:`~sesslog.backends.tail` hold what both share; :mod:`~sesslog.backends.fs` the durable
file-system helpers, :mod:`~sesslog.backends.locks` lock probing and
:mod:`~sesslog.backends.layout` pi's folder layout. See ``docs/architecture.md``.
"""
