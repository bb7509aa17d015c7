"""The long fuzzing profile for ``test_fuzz_readers.py`` (chosen with
``--hypothesis-profile=x12-fuzz``; registered here because hypothesis loads the profile
before it collects the tests)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "x12-fuzz",
    max_examples=5_000,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow],
)
