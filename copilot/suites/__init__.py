"""Benchmarks (``copilot bench``): Dynamic-SUPERB Phase 1 and SAKURA through the Copilot.

``dynamic_superb`` and ``sakura`` load instances into :class:`~copilot.suites.items.BenchItem`s,
``runner`` answers them (one program per task, threads, resume), ``scoring`` and ``tables`` turn the
predictions into accuracy tables with published results beside ours; ``fixtures`` builds small
true-labelled instances from the corpus. See docs/benchmarks.md.
"""
