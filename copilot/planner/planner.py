"""The planner: find or write a program for the task, run it in the sandbox, repair it when it fails.

One question goes: the program stored for this task (or for a paraphrase of it, from the library),
else a prompt -> the LLM's program -> static checks (policy, grounding) -> a fresh sandbox worker ->
map the result to an answer -> done, or feed the error (or the unusable answer) back and ask for a
corrected program, up to ``max_repairs`` times. A resubmitted identical program is not run again:
the planner escalates instead. Programs take the options and the question as inputs, so one
validated program serves every item of a task. A tool that cannot run here (``SetupError``) stops
the question at once: no program can repair a missing backend.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from copilot.audio import Audio
from copilot.errors import ErrorKind, SetupError
from copilot.llm.base import ChatModel, Message, choose_option
from copilot.options import normalise, task_text
from copilot.planner import feedback
from copilot.planner.answers import Mapped, caveats, to_answer
from copilot.planner.extract import extract_program
from copilot.planner.grounding import check_grounding
from copilot.planner.prompt import PromptBuilder
from copilot.planner.records import Answer, Attempt, LLMCall, Trace
from copilot.planner.signature import Signature
from copilot.planner.store import ProgramStore, fingerprint, program_id
from copilot.sandbox.host import Sandbox
from copilot.sandbox.policy import compile_program
from copilot.tools import Runtime, Toolset
from copilot.tools.bridge import ToolBridge

PLAN_TOKENS = 700
NONE_OF_THEM = "none of these"  # offered when mapping a free answer, so an unrelated one goes back for repair
REPAIR_TEMPERATURE = 0.5
ESCALATED_TEMPERATURE = 0.9


def _inputs_taken(program: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """The inputs without ``options`` or ``question`` when main() does not take them.

    A program that needs neither (``speaker_gender(audio, ...)``, whose label the answer mapping
    matches to the options) may leave them out; any other mismatch is the program's error to repair.
    """
    main = next((n for n in ast.parse(program).body if isinstance(n, ast.FunctionDef) and n.name == "main"), None)
    if main is None or main.args.vararg or main.args.kwarg:
        return inputs
    taken = {a.arg for a in main.args.args + main.args.kwonlyargs}
    return {k: v for k, v in inputs.items() if k in taken or k not in ("options", "question")}


def _normalised(program: str) -> str:
    """The program without comments and layout, to recognise a resubmission."""
    try:
        return ast.unparse(ast.parse(program))
    except (SyntaxError, ValueError, RecursionError):
        return program.strip()


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
        self._prefix_kept = False

    # -- one question -------------------------------------------------------------------------
    def solve(self, instruction: str, signature: Signature, audio: Mapping[str, Audio], text: str | None,
              options: Sequence[str], program_key: str | None = None,
              on_phase: Callable[[str], None] | None = None) -> Answer:
        """Answer one question; ``on_phase`` hears each step ("planning", "running", "repair 1", ...)."""
        started = time.perf_counter()
        loads_before = (self.runtime.load_seconds_total(), self._prefix_seconds())
        options = list(options)
        inputs: dict[str, Any] = {name: name for name in signature.audio}
        if signature.text:
            inputs[signature.text] = text
        if signature.options:
            inputs["options"] = options
        inputs["question"] = instruction
        task = program_key or task_text(instruction) or instruction
        key = ProgramStore.key(task, signature.key(), self.toolset.version)
        context = _Context(instruction, signature, audio, options, inputs, on_phase or (lambda phase: None))
        trace = Trace()

        # A caller's program_key names the task exactly: the library's paraphrase matching is for wordings.
        stored = self.store.lookup(key, task, signature.key(), self.toolset.version, library=program_key is None)
        if stored is not None:
            note = None if stored.source == "cache" else \
                f"reused from the library: {stored.instruction!r} (similarity {stored.similarity:.2f})"
            attempt, mapped = self._attempt(stored.program, None, context, trace, note)
            trace.attempts.append(attempt)
            self._record_use(stored.key, context, attempt, mapped)
            if attempt.failure is None:
                if stored.key != key:
                    self.store.put(key, stored.program, task=task, signature=signature.key(),
                                   toolset=self.toolset.version, llm=self.llm.name)
                return self._answer(mapped, attempt, stored.source, stored.instruction, context, trace,
                                    started, loads_before)
        mapped = self._plan(context, trace, stored.program if stored else None)
        last = trace.attempts[-1]
        if last.failure is None and stored is None:
            self.store.put(key, last.program, task=task, signature=signature.key(), toolset=self.toolset.version,
                           llm=self.llm.name)
            self._record_use(key, context, last, mapped)  # the input it was validated on
        return self._answer(mapped, last, "planned", None, context, trace, started, loads_before)

    # -- the repair loop ----------------------------------------------------------------------
    def _plan(self, ctx: _Context, trace: Trace, stored: str | None) -> Mapped | None:
        """Ask for programs until one answers or the repair budget is spent; return its mapped answer."""
        self._keep_prefix(ctx)
        first = self.prompts.messages(ctx.instruction, ctx.signature, ctx.options)
        messages = list(first)
        if stored is not None:  # the stored program failed on this item: repair it for this item only
            messages += [Message("assistant", f"```python\n{stored}```"), Message("user", trace.attempts[-1].feedback)]
        seen: dict[str, Attempt] = {}  # normalised program -> how it failed
        if stored is not None:
            seen[_normalised(stored)] = trace.attempts[-1]  # resending the stored program is a repeat too
        repeats = 0
        for round_ in range(self.max_repairs + 1):
            purpose = "plan" if round_ == 0 and stored is None else "repair"
            temperature = 0.0 if purpose == "plan" else REPAIR_TEMPERATURE
            if repeats >= 2:  # escalation, second step: start over at a high temperature
                messages, temperature, note = list(first), ESCALATED_TEMPERATURE, "fresh plan at a higher temperature"
            else:
                note = "after a repeated program: a targeted hint and a higher temperature" if repeats else None
                temperature = ESCALATED_TEMPERATURE if repeats else temperature
            ctx.on_phase("planning" if purpose == "plan" else f"repair {round_}")
            call = self._call(messages, purpose, temperature)
            program, reason = extract_program(call.reply, self.toolset.tools)
            messages.append(Message("assistant", call.reply))
            if program is None:
                attempt = Attempt.refused(call.reply, call, ErrorKind.FORMAT, reason,
                                          feedback.unusable_reply(reason, ctx.signature.params), note=note)
                trace.attempts.append(attempt)
                messages.append(Message("user", attempt.feedback))
                continue
            normal = _normalised(program)
            if normal in seen:
                repeats += 1
                before = seen[normal]
                attempt = Attempt.refused(program, call, ErrorKind.REPEATED,
                                          f"the same program as an earlier attempt, which failed with "
                                          f"{before.failure.value}: {before.error}",
                                          feedback.repeated(before.feedback or ""), note=note)
                trace.attempts.append(attempt)
                messages.append(Message("user", attempt.feedback))
                continue
            attempt, mapped = self._attempt(program, call, ctx, trace, note)
            trace.attempts.append(attempt)
            if attempt.failure is None:
                return mapped
            seen[normal] = attempt
            messages.append(Message("user", attempt.feedback))
        return None

    def _attempt(self, program: str, call: LLMCall | None, ctx: _Context, trace: Trace,
                 note: str | None) -> tuple[Attempt, Mapped | None]:
        """Check and run one program version; a failed attempt carries the feedback for the LLM."""
        compiled = compile_program(program)
        if compiled.code is None:
            kind = ErrorKind.SYNTAX if compiled.kind == "SYNTAX" else ErrorKind.POLICY
            error = "; ".join(compiled.errors)
            return Attempt.refused(program, call, kind, error, feedback.policy(compiled.errors), note=note), None
        problem = check_grounding(program, self.toolset.tools, ctx.options)
        if problem is not None:
            kind = ErrorKind.CONSTANT_ANSWER if problem.kind == "constant_answer" else ErrorKind.UNGROUNDED
            return Attempt.refused(program, call, kind, problem.message, feedback.refused(problem.message),
                                   note=note), None
        ctx.on_phase("running the program")
        result = self.sandbox.run(compiled, _inputs_taken(program, ctx.inputs),
                                  ToolBridge(self.toolset.tools, ctx.audio, self.runtime))
        if result.error_kind is ErrorKind.ENVIRONMENT:
            raise SetupError(result.error_message or "a tool cannot run here")
        earlier = [a.program for a in trace.attempts]
        if not result.ok:
            return Attempt.refused(program, call, result.error_kind or ErrorKind.CRASH, result.error_message or "",
                                   feedback.run_failed(result, ctx.options, self.toolset, earlier), result,
                                   note), None
        if not any(c.error is None for c in result.tool_calls):
            reason = "no tool call succeeded in this run, so the answer does not come from the recording"
            return Attempt.refused(program, call, ErrorKind.UNGROUNDED, reason, feedback.refused(reason), result,
                                   note), None
        foreign = feedback.foreign_options(result.tool_calls, ctx.options)
        if foreign is not None:  # its label is not one of the options: mapping it would be a guess
            reason = feedback.foreign_options_hint(foreign)
            return Attempt.refused(program, call, ErrorKind.UNGROUNDED, reason,
                                   feedback.bad_answer(result.value, reason, ctx.options), result, note), None
        mapped = to_answer(result.value, ctx.options,
                           lambda text, opts: self._map_option(text, opts, ctx.instruction, trace))
        if mapped.answer is None:
            return Attempt.refused(program, call, ErrorKind.BAD_ANSWER, mapped.reason,
                                   feedback.bad_answer(result.value, mapped.reason, ctx.options), result,
                                   note), None
        return Attempt.answered(program, call, result, note), mapped

    def _record_use(self, key: str, ctx: _Context, attempt: Attempt, mapped: Mapped | None) -> None:
        answer = mapped.answer if mapped and attempt.failure is None else None
        # A repeated open text ("what is said?") is suspicious at once; a repeated count or yes/no is not.
        open_text = not ctx.options and answer is not None and not any(ch.isdigit() for ch in answer) \
            and normalise(answer) not in _COUNT_WORDS
        self.store.record(key, inputs=fingerprint([a.sha256 for a in ctx.audio.values()] + [ctx.inputs.get("word"),
                                                  ctx.inputs.get("text")]),
                          answer=answer, tools=fingerprint([c.result for c in attempt.tool_calls]),
                          open_text=open_text)

    # -- LLM calls ------------------------------------------------------------------------------
    def _keep_prefix(self, ctx: _Context) -> None:
        """Let a backend that can keep prompt state (the embedded model) keep the static prefix's."""
        if self.llm.keeps_prefix and not self._prefix_kept and self.prompts.static:
            ctx.on_phase("loading the LLM and its prompt prefix (computed once, the first time: minutes)")
            self.llm.keep_prefix(self.prompts.prefix())
            self._prefix_kept = True

    def _prefix_seconds(self) -> float:
        """Seconds the LLM spent loading (or computing) its kept prompt prefix so far."""
        return self.llm.prefix_seconds

    def _call(self, messages: list[Message], purpose: str, temperature: float) -> LLMCall:
        completion = self.llm.complete(messages, max_tokens=PLAN_TOKENS, temperature=temperature)
        return LLMCall(purpose, completion.text, completion.prompt_tokens, completion.completion_tokens,
                       completion.cached_tokens, completion.seconds, completion.prefill_seconds, temperature)

    def _map_option(self, text: str, options: Sequence[str], question: str, trace: Trace) -> str | None:
        """The option a free answer means, scored over both option orders (no bias to the first); or None."""
        choice = choose_option(self.llm, f'A program answered "{text}" to this question: {question} '
                               "Which option does that answer mean?", [*options, NONE_OF_THEM])
        trace.other_calls += [LLMCall("map_option", c.text, c.prompt_tokens, c.completion_tokens, c.cached_tokens,
                                      c.seconds, c.prefill_seconds) for c in choice.completions]
        return None if choice.option == NONE_OF_THEM else choice.option

    # -- the answer -----------------------------------------------------------------------------
    def _answer(self, mapped: Mapped | None, last: Attempt, source: str, source_instruction: str | None,
                ctx: _Context, trace: Trace, started: float, loads_before: tuple[float, float]) -> Answer:
        ok = last.failure is None and mapped is not None
        return Answer(
            answer=mapped.answer if ok else None, value=last.run.value if last.run else None, ok=ok,
            error=None if ok else f"{last.failure.value}: {last.error}",
            program=last.program if ok or last.failure is not ErrorKind.FORMAT else "",
            program_id=program_id(last.program) if ok else "", source=source,
            tool_calls=last.tool_calls,
            timings=trace.timings(time.perf_counter() - started, self.runtime.load_seconds_total() - loads_before[0],
                                  self._prefix_seconds() - loads_before[1]),
            tokens=trace.tokens(), llm={"backend": self.llm.backend, "model": self.llm.name},
            caveats=caveats(mapped, ctx.options, last.tool_calls) if ok else [],
            source_instruction=source_instruction, signature=list(ctx.signature.params), options=ctx.options,
            trace=trace)


_COUNT_WORDS = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "yes", "no"}


@dataclass(frozen=True)
class _Context:
    """What every attempt at one question shares."""

    instruction: str
    signature: Signature
    audio: Mapping[str, Audio]
    options: list[str]
    inputs: dict[str, Any]
    on_phase: Callable[[str], None]
