"""The planning prompt: a static prefix (rules, every tool stub, every worked example) and the question.

The prefix does not depend on the question, in a fixed order, so a backend that can keep prompt
state (the embedded llama.cpp model saves it to the cache folder) prefills it once, ever, and each
new question costs only its own few tokens. The retrieved shape instead shows the few tools and
examples most similar to the question: a shorter prompt, but a different one for every question.
"""

from __future__ import annotations

from collections.abc import Sequence

from copilot.llm.base import Message
from copilot.planner.feedback import PROMPTS, format_options
from copilot.planner.retrieval import Example, Retriever
from copilot.planner.signature import Signature
from copilot.tools import Toolset


class PromptBuilder:
    """Builds the planning messages; ``retriever`` None gives the static shape."""

    def __init__(self, toolset: Toolset, examples: Sequence[Example], retriever: Retriever | None = None) -> None:
        self.toolset = toolset
        self.examples = list(examples)
        self.retriever = retriever
        self._catalogue = self._render_catalogue(list(toolset.tools), self.examples)

    @property
    def static(self) -> bool:
        return self.retriever is None

    def prefix(self) -> list[Message]:
        """The messages every static-shape prompt starts with (the last one continues with the question)."""
        return [Message("system", PROMPTS.template("system")), Message("user", self._catalogue)]

    def messages(self, instruction: str, signature: Signature, options: Sequence[str]) -> list[Message]:
        catalogue = self._catalogue
        if self.retriever is not None:
            catalogue = self._render_catalogue(*self.retriever.select(instruction, signature))
        question = PROMPTS.render("question", instruction=instruction.strip(), options=format_options(options),
                                  params=", ".join(signature.params), inputs_note=signature.describe())
        return [Message("system", PROMPTS.template("system")), Message("user", catalogue + question)]

    def _render_catalogue(self, tool_names: Sequence[str], examples: Sequence[Example]) -> str:
        shown = "".join(PROMPTS.render("example", instruction=e.instruction, options=format_options(e.options),
                                       program=e.program.strip()) for e in examples)
        return PROMPTS.render("catalogue", tools=self.toolset.stubs(tool_names), examples=shown)
