"""The instruction analyser: derive a toolset spec from the instructions users give.

Decomposition (an LLM writes a placeholder program per task), modularization (merge modules that are
one capability under several names), binding (match modules to implemented tools), and coverage
(the share of tasks whose modules are all bound), on the derivation pool and on a held-out pool.
See ``docs/analyser.md``.
"""

from copilot.analyser.derive import derive, write
from copilot.analyser.llm_cache import CachedLLM
from copilot.analyser.records import Derivation
from copilot.analyser.spec import SPEC_FORMAT, read_spec

__all__ = ["SPEC_FORMAT", "CachedLLM", "Derivation", "derive", "read_spec", "write"]
