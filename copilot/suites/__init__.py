"""Benchmarks (``copilot bench``): Dynamic-SUPERB Phase 1 and SAKURA through the Copilot.

``dynamic_superb`` and ``sakura`` load instances into :class:`~copilot.suites.items.BenchItem`s,
``runner`` answers them (one program per task, threads or ``ray_engine``, resume) and writes each
answer's JSON form as a record, ``scoring`` and ``tables`` turn the predictions into accuracy tables
with published results beside ours, ``report`` draws them. Small true-labelled instances for tests
come from :mod:`copilot.testing.bench_fixtures`. See docs/benchmarks.md.
"""
