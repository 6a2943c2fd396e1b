"""The planner: reuse a stored program for the question, else plan one and repair it until it answers.

``solve`` reads: the program stored for this task (or a paraphrase, from the library), else the
repair loop: a prompt -> the LLM's program -> the checks before the run (``checks.py``) -> a fresh
sandbox worker -> the checks on the run -> the answer mapping -> done, or the refusal's feedback
goes back to the LLM. What each round does is a schedule (``SCHEDULE``): the plan, one repair,
then the smallest evidence-first program for the question's shape (the LLM only names the tool),
then a fresh plan at a higher temperature. A resubmitted program is never run again. A tool that
cannot run here (``SetupError``) stops the question at once: no program can repair a missing
backend. A question no tool can measure ends at once with an answer that names the capability.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from copilot.errors import ErrorKind, SetupError
from copilot.llm.base import ChatModel, Message, choose_option
from copilot.planner import checks, feedback
from copilot.planner.answers import Mapped, caveats, to_answer
from copilot.planner.extract import extract_program
from copilot.planner.prompt import PromptBuilder
from copilot.planner.question import Program, Question
from copilot.planner.records import Answer, Attempt, LLMCall, Refusal, Trace
from copilot.planner.store import ProgramStore, Stored, program_id
from copilot.sandbox.host import Sandbox
from copilot.tools import Runtime, Toolset
from copilot.tools.bridge import ToolBridge

PLAN_TOKENS = 700  # the decode budget of one program
TOOL_NAME_TOKENS = 16  # ... and of naming the tool for the evidence-first fallback
PLAN_STOP = ("\n```\n",)  # the code block's closing fence: whatever the model adds after main() is never read
NONE_OF_THEM = "none of these"  # offered when mapping a free answer, so an unrelated one goes back for repair
NO_TOOL = re.compile(r"^\s*NO TOOL\s*:\s*(.+?)\s*\.?\s*$", re.I | re.S)  # the LLM's "no tool can measure X"


@dataclass(frozen=True)
class Step:
    """One round of the repair loop: what is asked of the LLM, and at which temperature."""

    purpose: str  # "plan" | "repair" (the conversation so far) | "fallback" (name a tool) | "fresh" (start over)
    temperature: float


SCHEDULE = (Step("plan", 0.0), Step("repair", 0.5), Step("fallback", 0.0), Step("fresh", 0.9))
AFTERWARDS = Step("repair", 0.9)  # rounds past the schedule


class Planner:
    def __init__(self, llm: ChatModel, toolset: Toolset, runtime: Runtime, prompts: PromptBuilder,
                 store: ProgramStore, sandbox: Sandbox, max_repairs: int = 3) -> None:
        self.llm = llm
        self.toolset = toolset
        self.runtime = runtime
        self.prompts = prompts
        self.store = store
        self.max_repairs = max_repairs
        self.sandbox = sandbox
        self.before_run = checks.before_run(toolset)
        self._prefix_kept = False

    # -- one question -------------------------------------------------------------------------
    def solve(self, question: Question, on_phase: Callable[[str], None] | None = None) -> Answer:
        """Answer one question; ``on_phase`` hears each step ("planning", "running", "repair 1", ...)."""
        started = time.perf_counter()
        loads_before = (self.runtime.load_seconds_total(), self._prefix_seconds())
        on_phase = on_phase or (lambda phase: None)
        trace = Trace()
        stored, kept = self.store.find(question), None
        if stored is not None:
            note = None if stored.source == "cache" else \
                f"reused from the library: {stored.instruction!r} (similarity {stored.similarity:.2f})"
            kept = Program.parse(stored.program)
            mapped = self._attempt(kept, None, question, trace, on_phase, note)
            self._remember(question, trace.attempts[-1], mapped, stored)
            if mapped is not None:
                return self._answer(mapped, stored.source, stored.instruction, question, trace, started, loads_before)
            if trace.attempts[-1].run is None:  # refused before running: wrong for every item, so plan anew
                stored = None
        mapped = self._plan(question, trace, on_phase, repairing=kept if stored is not None else None)
        if mapped is not None and stored is None and trace.attempts[-1].program:
            self._remember(question, trace.attempts[-1], mapped, None)
        return self._answer(mapped, "planned", None, question, trace, started, loads_before)

    def _remember(self, question: Question, attempt: Attempt, mapped: Mapped | None, stored: Stored | None) -> None:
        self.store.remember(question, attempt.program, mapped.answer if mapped else None,
                            [c.result for c in attempt.tool_calls], self.llm.name, stored)

    # -- the repair loop ----------------------------------------------------------------------
    def _plan(self, question: Question, trace: Trace, on_phase: Callable[[str], None],
              repairing: Program | None) -> Mapped | None:
        """Follow the schedule until a program answers or the rounds are spent; return its mapped answer.

        ``repairing``: the stored program, which failed on this item, so the first round repairs it (for
        this item only: a repaired stored program is not stored). A stored program the checks
        refuse is not repaired: it is wrong for every item, so a new plan replaces it.
        """
        self._keep_prefix(on_phase)
        first = self.prompts.messages(question.instruction, question.signature, question.options)
        schedule = SCHEDULE[1:] if repairing else SCHEDULE
        since = 0 if repairing else len(trace.attempts)  # the conversation: the prompt, the attempts since
        seen = {repairing.normal: trace.attempts[-1]} if repairing else {}  # resending it is a repeat too
        for round_ in range(self.max_repairs + 1):
            step = schedule[round_] if round_ < len(schedule) else AFTERWARDS
            on_phase("planning" if step.purpose == "plan" else f"repair {round_}")
            if step.purpose == "fresh":
                since = len(trace.attempts)
            if step.purpose == "fallback":
                call = self._call(self._tool_question(question), "fallback", step.temperature, TOOL_NAME_TOKENS)
                source = self._evidence_first(call.reply, question)
            else:
                call = self._call(_conversation(first, trace.attempts[since:]), step.purpose, step.temperature,
                                  PLAN_TOKENS)
                source, reason = extract_program(call.reply, self.toolset.tools)
            missing = NO_TOOL.match(call.reply)
            if missing and source is None:
                trace.attempts.append(Attempt("", call, note=f"no tool can measure {missing.group(1)}"))
                return Mapped("cannot tell", abstained=True, missing=missing.group(1))
            if source is None:
                if step.purpose == "fallback":
                    reason = f"no tool that can run on the recording alone is named in {call.reply.strip()!r}"
                refusal = Refusal(ErrorKind.FORMAT, reason, feedback.unusable_reply(reason, question.signature.params))
                trace.attempts.append(Attempt.refused(call.reply, call, refusal, note=_NOTES.get(step.purpose)))
                continue
            program = Program.parse(source)
            before = seen.get(program.normal)
            if before is not None:
                refusal = Refusal(ErrorKind.REPEATED, f"the same program as an earlier attempt, which failed with "
                                  f"{before.failure.value}: {before.error}", feedback.repeated(before.feedback or ""))
                trace.attempts.append(Attempt.refused(source, call, refusal, note=_NOTES.get(step.purpose)))
                continue
            mapped = self._attempt(program, call, question, trace, on_phase, _NOTES.get(step.purpose))
            if mapped is not None:
                return mapped
            seen[program.normal] = trace.attempts[-1]
        return None

    def _attempt(self, program: Program, call: LLMCall | None, question: Question, trace: Trace,
                 on_phase: Callable[[str], None], note: str | None) -> Mapped | None:
        """Check and run one program version and add it to the trace; its mapped answer, or None."""
        refusal = checks.first_refusal(self.before_run, program, None, question)
        run = None
        if refusal is None:
            on_phase("running the program")
            run = self.sandbox.run(program.compiled, program.inputs(question),
                                   ToolBridge(self.toolset.tools, question.recordings, self.runtime))
            if run.error_kind is ErrorKind.ENVIRONMENT:
                raise SetupError(run.error_message or "a tool cannot run here")
            after = checks.after_run(self.toolset, lambda: [a.program for a in trace.attempts])
            refusal = checks.first_refusal(after, program, run, question)
        mapped = None
        if refusal is None:
            mapped = to_answer(run.value, question.options,
                               lambda text, opts: self._map_option(text, opts, question.instruction, trace))
            if mapped.answer is None:
                refusal = Refusal(ErrorKind.BAD_ANSWER, mapped.reason,
                                  feedback.bad_answer(run.value, mapped.reason, question.options))
        if refusal is not None:
            trace.attempts.append(Attempt.refused(program.source, call, refusal, run, note))
            return None
        trace.attempts.append(Attempt.answered(program.source, call, run, note))
        return mapped

    # -- the evidence-first fallback ------------------------------------------------------------
    def _tool_question(self, question: Question) -> list[Message]:
        listing = "\n".join(f"- {t.name}: {t.summary}" for t in self.toolset if t.audio_params)
        return [Message("user", feedback.PROMPTS.render("fallback", instruction=question.instruction,
                                                        tools=listing))]

    def _evidence_first(self, reply: str, question: Question) -> str | None:
        """The smallest program for the question's shape around the tool the reply names, or None.

        With options: the tool given ``candidates=options`` when it takes them, else the tool's
        result handed to ``choose``; without: the tool's result handed to ``query_llm``.
        """
        named = sorted((m.start(), name) for name in self.toolset.tools
                       for m in [re.search(rf"\b{re.escape(name)}\b", reply)] if m)
        usable = [name for _, name in named if self._runs_alone(name)]
        if not usable:
            return None
        tool = self.toolset[usable[0]]
        handles, sig = question.signature.audio, question.signature
        params = ", ".join(sig.params)
        if question.options and len(handles) == 1 and any(p.name == "candidates" for p in tool.params):
            return f"def main({params}):\n    return {tool.name}({handles[0]}, candidates=options)[\"label\"]\n"
        facts = ", ".join(f"\"{tool.name}({h})\": {tool.name}({h})" for h in handles)
        if sig.text:
            facts += f", \"{sig.text}\": {sig.text}"
        if question.options:
            return (f"def main({params}):\n    found = {{{facts}}}\n"
                    "    return choose(question, options, facts=found)[\"label\"]\n")
        return (f"def main({params}):\n    found = {{{facts}}}\n"
                "    return query_llm(question + \" Answer in a few words from what the tools measured: \" "
                "+ str(found))\n")

    def _runs_alone(self, name: str) -> bool:
        """A tool that needs only the recording (no word, name or second recording) to answer."""
        tool = self.toolset[name]
        return len(tool.audio_params) == 1 and all(not p.required for p in tool.params if p.name not in
                                                   tool.audio_params)

    # -- LLM calls ------------------------------------------------------------------------------
    def _keep_prefix(self, on_phase: Callable[[str], None]) -> None:
        """Let a backend that can keep prompt state (the embedded model) keep the static prefix's."""
        if self.llm.keeps_prefix and not self._prefix_kept and self.prompts.static:
            on_phase("loading the LLM and its prompt prefix (computed once, the first time: minutes)")
            self.llm.keep_prefix(self.prompts.prefix(), on_progress=on_phase)
            self._prefix_kept = True

    def _prefix_seconds(self) -> float:
        """Seconds the LLM spent loading (or computing) its kept prompt prefix so far."""
        return self.llm.prefix_seconds

    def _call(self, messages: list[Message], purpose: str, temperature: float, max_tokens: int) -> LLMCall:
        completion = self.llm.complete(messages, max_tokens=max_tokens, temperature=temperature, stop=PLAN_STOP)
        return LLMCall(purpose, completion.text, completion.prompt_tokens, completion.completion_tokens,
                       completion.cached_tokens, completion.seconds, completion.prefill_seconds, temperature)

    def _map_option(self, text: str, options: tuple[str, ...], question: str, trace: Trace) -> str | None:
        """The option a free answer means, scored over both option orders (no bias to the first); or None,
        also when no reply of a model without log-probabilities named an option (no nearest-wording guess)."""
        choice = choose_option(self.llm, f'A program answered "{text}" to this question: {question} '
                               "Which option does that answer mean?", [*options, NONE_OF_THEM])
        trace.other_calls += [LLMCall("map_option", c.text, c.prompt_tokens, c.completion_tokens, c.cached_tokens,
                                      c.seconds, c.prefill_seconds) for c in choice.completions]
        if choice.option == NONE_OF_THEM or not any(choice.scores.values()):
            return None
        return choice.option

    # -- the answer -----------------------------------------------------------------------------
    def _answer(self, mapped: Mapped | None, source: str, source_instruction: str | None, question: Question,
                trace: Trace, started: float, loads_before: tuple[float, float]) -> Answer:
        last = trace.attempts[-1]
        ok = mapped is not None
        return Answer(
            answer=mapped.answer if ok else None, value=last.run.value if last.run else None, ok=ok,
            error=None if ok else f"{last.failure.value}: {last.error}",
            program=last.program if ok or last.failure is not ErrorKind.FORMAT else "",
            program_id=program_id(last.program) if ok and last.program else "", source=source,
            tool_calls=last.tool_calls,
            timings=trace.timings(time.perf_counter() - started, self.runtime.load_seconds_total() - loads_before[0],
                                  self._prefix_seconds() - loads_before[1]),
            tokens=trace.tokens(), llm={"backend": self.llm.backend, "model": self.llm.name},
            caveats=caveats(mapped, question.options, last.tool_calls) if ok else [],
            source_instruction=source_instruction, signature=list(question.signature.params),
            options=list(question.options), trace=trace)


_NOTES = {"fallback": "the smallest evidence-first program for the question's shape",
          "fresh": "a fresh plan at a higher temperature"}


def _conversation(first: list[Message], attempts: list[Attempt]) -> list[Message]:
    """The messages for the LLM, rendered from the trace: the prompt, then each attempt and its feedback."""
    messages = list(first)
    for attempt in attempts:
        said = attempt.llm.reply if attempt.llm and attempt.llm.purpose != "fallback" else \
            f"```python\n{attempt.program}```"
        messages += [Message("assistant", said), Message("user", attempt.feedback or "")]
    return messages
