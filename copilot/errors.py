"""Typed errors, and the one list of reasons a program attempt can fail.

Every error a user can cause has its own class and a one-line message. The CLI prints
``str(error)`` and exits non-zero for any ``CopilotError``; anything else is a bug and keeps its
traceback. A :class:`SetupError` is about the machine or the configuration (a backend or package
missing, a bad setting, the LLM server down): it goes to the user, never to the LLM for repair.
"""

import enum


class ErrorKind(str, enum.Enum):
    """Why one program attempt failed: the sandbox's kinds and the planner's, in one place.

    The values cross the worker's pipe and land in traces; the planner decides from them whether to
    repair (the program's fault) or stop and tell the user (``ENVIRONMENT``).
    """

    # the sandbox's
    SYNTAX = "syntax"  # the source does not parse: fix the code
    POLICY = "policy"  # the program uses something the sandbox forbids (at compile time or run time)
    RUNTIME = "runtime"  # an exception escaped main(), including a ToolError it did not catch
    TIMEOUT = "timeout"  # CPU seconds, the program's own wall-clock time, or the total budget ran out
    MEMORY = "memory"  # the address-space limit was hit
    CRASH = "crash"  # the worker died or was killed without reporting (a signal, a broken protocol)
    BAD_RESULT = "bad_result"  # main() returned something that is not JSON data, or too much of it
    ENVIRONMENT = "environment"  # a tool could not run here (SetupError): the user's to fix, not the LLM's
    # the planner's
    FORMAT = "format"  # the LLM's reply holds no usable program
    CONSTANT_ANSWER = "constant_answer"  # the answer cannot depend on what the tools found
    UNGROUNDED = "ungrounded"  # the program answers without calling a tool, or ignores what they said
    KNOWLEDGE = "knowledge"  # an answer or an option list written into the code instead of found by a tool
    NO_OPTIONS = "no_options"  # a program for a question without options reads `options`
    BAD_ANSWER = "bad_answer"  # the value is not an answer (empty, a list, not one of the options)
    REPEATED = "repeated"  # the same program as an earlier attempt: not run again


class CopilotError(Exception):
    """Base class for errors that are the user's input or environment, not a bug."""


class AudioError(CopilotError):
    """The audio input cannot be used."""


class AudioNotFoundError(AudioError):
    pass


class NotAudioError(AudioError):
    """The file exists but is not decodable audio (text, image, corrupt or truncated data)."""


class EmptyAudioError(AudioError):
    """Zero samples, or all samples exactly zero."""


class AudioTooLongError(AudioError):
    pass


class UnreadableAudioError(AudioError):
    """The file is there but may not be read (permissions, I/O error)."""


class RemoteAudioError(AudioError):
    """A URL or an ffmpeg protocol string: inputs are local files only."""


class SetupError(CopilotError):
    """The machine or configuration cannot do what was asked; the message says what to change."""


class AssetError(SetupError):
    """Model weights that should come inside an installed package are missing or damaged."""


class MissingPackageError(AssetError):
    """A package that carries weights is not installed; the message names the pip requirement."""


class AssetHashError(AssetError):
    pass


class BackendUnavailableError(SetupError):
    """A configured tool backend cannot run here; the message says what is missing."""


class ToolError(CopilotError):
    """A tool was called with bad arguments or failed; the message goes back to the program."""


class LLMError(SetupError):
    """The LLM backend failed after its retries, or is misconfigured."""


class ConfigError(SetupError):
    """A setting has a value that cannot work."""
