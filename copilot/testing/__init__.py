"""Test support: labelled audio made from installed packages, benchmark fixtures, a scripted LLM.

Only tests, benchmark scripts and examples import this package; no runtime module does.
"""
