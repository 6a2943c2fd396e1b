"""The tool framework: typed functions become LLM-visible tools; models sit behind backends.

A tool is a plain Python function with type hints and a Google-style docstring, decorated with
:func:`tool`. Its schema and the stub the LLM reads are derived from that function, never kept by
hand. Models live in :class:`Backend` classes grouped by capability ("asr", "speaker_embedding"…);
configuration picks one per capability, ``auto`` picks the best available one.
"""

from copilot.tools.backends import Backend, Runtime, backend, current_runtime, use_runtime
from copilot.tools.tool import Param, Tool, tool
from copilot.tools.toolset import Toolset, load_toolset

__all__ = [
    "Backend",
    "Param",
    "Runtime",
    "Tool",
    "Toolset",
    "backend",
    "current_runtime",
    "load_toolset",
    "tool",
    "use_runtime",
]
