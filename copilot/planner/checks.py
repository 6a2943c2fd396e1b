"""The checks a program version must pass, in order: on its text before it runs, then on its run.

Each check is ``(program, run, question) -> Refusal | None``; the first refusal ends the attempt
and its feedback goes back to the LLM. Adding a rule means adding a function to a list here.

No knowledge in code: when the question has options, a program returns an option that evidence
chose (a tool given ``candidates=options``, or ``choose()`` with what the tools found), never a
string it wrote itself, and it never types an option list. The narrow exceptions: generic answer
words (yes/no, true/false, counts, "no speech"), which name no option of a particular question, and
a measured boolean read as the question's own two options (``"noisy" if ...["present"] else
"clean"``): the grounding check has already made sure a tool decides which one is returned, and the
same program asked with other options is refused (a 1.5B model given the boolean through
``choose()`` answered "noisy" for a clean recording).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence

from copilot.errors import ErrorKind
from copilot.options import NUMBER_WORDS, normalise
from copilot.planner import feedback
from copilot.planner.answers import ABSTENTIONS
from copilot.planner.grounding import Hearing, check_grounding, leaves
from copilot.planner.question import Program, Question
from copilot.planner.records import Refusal
from copilot.sandbox.records import SandboxResult
from copilot.tools import Toolset

Check = Callable[[Program, SandboxResult | None, Question], Refusal | None]
GENERIC_WORDS = frozenset({"yes", "no", "true", "false", *NUMBER_WORDS, *ABSTENTIONS})


# -- before the run ---------------------------------------------------------------------------------
def compiles(program: Program, run: SandboxResult | None, question: Question) -> Refusal | None:
    compiled = program.compiled
    if compiled.code is not None:
        return None
    return Refusal(ErrorKind(compiled.kind.lower()), "; ".join(compiled.errors), feedback.policy(compiled.errors))


def reads_no_options(program: Program, run: SandboxResult | None, question: Question) -> Refusal | None:
    """An open question has no options: a program that reaches for them answers another question."""
    if question.options or program.main is None:
        return None
    if "options" in (program.params or ()) or any(isinstance(n, ast.Name) and n.id == "options"
                                                  for n in ast.walk(program.main)):
        reason = ("this question lists no options, so main() gets no `options` input and must not use one. "
                  f"Write `def main({', '.join(question.signature.params)}):` and return what the tools found, "
                  "in a few words (a label, a number, a transcript), or \"no speech\" when there is none.")
        return Refusal(ErrorKind.NO_OPTIONS, reason, feedback.refused(reason))
    return None


def writes_no_answers(program: Program, run: SandboxResult | None, question: Question) -> Refusal | None:
    """With options, an answer or option list typed into the code is knowledge, not evidence."""
    if not question.options or program.tree is None:
        return None
    written = written_answer(program.tree, question.options)
    if written is None:
        return None
    reason = (f"line {written.lineno}: the program writes {ast.unparse(written)} into its code as an answer or "
              "an option list, so it answers from your knowledge and breaks on a question with other options. "
              "Return an option the tools chose: a tool given `candidates=options` (its \"label\"), or "
              "`choose(question, options, facts={...what the tools found...})[\"label\"]`. Only yes/no, "
              "numbers, or the question's own two options as `A if <tool result> else B` may be written, when "
              "a tool's result decides between them.")
    return Refusal(ErrorKind.KNOWLEDGE, reason, feedback.refused(reason))


def written_answer(tree: ast.Module, options: Sequence[str]) -> ast.expr | None:
    """The first string a program returns, assigns or lists that is not a generic answer word, or a
    dictionary key that is one of the options."""
    named = {normalise(o) for o in options}
    compared = {id(n) for c in ast.walk(tree) if isinstance(c, ast.Compare) for n in [c.left, *c.comparators]}
    compared |= _two_way_readings(tree, named)
    for node in ast.walk(tree):
        if isinstance(node, ast.Return):
            values = leaves(node.value)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            values = leaves(node.value)
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set)) and id(node) not in compared:
            values = node.elts
        elif isinstance(node, ast.Dict):
            values = [v for v in node.values if v is not None] + \
                [k for k in node.keys if isinstance(k, ast.Constant) and normalise(str(k.value)) in named]
        else:
            continue
        found = next((v for v in values if _specific(v) and id(v) not in compared), None)
        if found is not None:
            return found
    return None


def _two_way_readings(tree: ast.Module, named: set[str]) -> set[int]:
    """The two words of ``A if <condition> else B`` when they are exactly the question's two options:
    a measured boolean read as this question's words (``"noisy" if detect_noise(a)["present"] else
    "clean"``), which grounding has made tool-decided, and which compares no label with a written word
    (``"cat" if animal == "cat" else "sheep"`` stays refused). The same program asked with other
    options is refused here, so it is never reused for them."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.IfExp) and len(named) == 2 and not _compares_words(node.test) and all(
                isinstance(b, ast.Constant) and isinstance(b.value, str) for b in (node.body, node.orelse)) \
                and {normalise(node.body.value), normalise(node.orelse.value)} == named:
            found |= {id(node.body), id(node.orelse)}
    return found


def _compares_words(test: ast.expr) -> bool:
    """Whether a condition compares with a written word (``label == "cat"``): that is a label read as
    an option by the program's own knowledge, not a measured boolean."""
    return any(isinstance(c, ast.Compare) and any(isinstance(x, ast.Constant) and isinstance(x.value, str)
                                                  for x in [c.left, *c.comparators]) for c in ast.walk(test))


def _specific(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(node.value.strip()) \
        and normalise(node.value) not in GENERIC_WORDS


def before_run(toolset: Toolset) -> list[Check]:
    hearing = Hearing.of(toolset)
    return [compiles, reads_no_options, lambda program, run, question: check_grounding(program, hearing),
            writes_no_answers]


# -- after the run ----------------------------------------------------------------------------------
def ran(toolset: Toolset, earlier: Callable[[], Sequence[str]]) -> Check:
    def check(program: Program, run: SandboxResult | None, question: Question) -> Refusal | None:
        if run is None or run.ok:
            return None
        return Refusal(run.error_kind or ErrorKind.CRASH, run.error_message or "",
                       feedback.run_failed(run, question.options, toolset, earlier()))
    return check


def heard(program: Program, run: SandboxResult | None, question: Question) -> Refusal | None:
    if run is None or any(c.error is None for c in run.tool_calls):
        return None
    reason = "no tool call succeeded in this run, so the answer does not come from the recording"
    return Refusal(ErrorKind.UNGROUNDED, reason, feedback.refused(reason))


def options_of_its_kind(program: Program, run: SandboxResult | None, question: Question) -> Refusal | None:
    """A tool given the options that knows (almost) none of them: its label is no option, mapping it a guess."""
    foreign = feedback.foreign_options(run.tool_calls, question.options) if run else None
    if foreign is None:
        return None
    reason = feedback.foreign_options_hint(foreign)
    return Refusal(ErrorKind.UNGROUNDED, reason, feedback.bad_answer(run.value, reason, question.options))


def after_run(toolset: Toolset, earlier: Callable[[], Sequence[str]]) -> list[Check]:
    return [ran(toolset, earlier), heard, options_of_its_kind]


def first_refusal(checks: Sequence[Check], program: Program, run: SandboxResult | None,
                  question: Question) -> Refusal | None:
    return next((r for r in (check(program, run, question) for check in checks) if r is not None), None)
