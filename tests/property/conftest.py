"""Hypothesis profiles for the property tests, chosen by ``SESSLOG_HYPOTHESIS_PROFILE``.

* ``default``: a moderate number of examples, for local runs and ``make test``;
* ``ci``: fewer examples, for quick smoke runs;
* ``expensive``: many examples, for a long hunt (``SESSLOG_HYPOTHESIS_PROFILE=expensive``).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}

settings.register_profile("default", max_examples=300, **_COMMON)
settings.register_profile("ci", max_examples=50, **_COMMON)
settings.register_profile("expensive", max_examples=5000, **_COMMON)
settings.load_profile(os.environ.get("SESSLOG_HYPOTHESIS_PROFILE", "default"))
