"""Typed errors. Every error a user can cause has its own class and a one-line message.

The CLI prints ``str(error)`` and exits non-zero for any ``CopilotError``; anything else is a bug
and keeps its traceback.
"""


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


class AssetError(CopilotError):
    """Model weights that should come inside an installed package are missing or damaged."""


class MissingPackageError(AssetError):
    """A package that carries weights is not installed; the message names the pip requirement."""


class AssetHashError(AssetError):
    pass


class BackendUnavailableError(CopilotError):
    """A configured tool backend cannot run here; the message says what is missing."""


class ToolError(CopilotError):
    """A tool was called with bad arguments or failed; the message goes back to the program."""


class LLMError(CopilotError):
    """The LLM backend failed after its retries, or is misconfigured."""


class ConfigError(CopilotError):
    pass
