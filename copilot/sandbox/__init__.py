"""The sandbox: generated programs run in a fresh, isolated worker process; tools stay in the host.

    >>> from copilot.sandbox.runner import run_program
    >>> result = run_program(source, {"audio": "audio_1"}, ToolBridge(toolset.tools, {"audio_1": audio}, runtime))
    >>> result.ok, result.value, result.error_kind, result.error_message

``runner`` starts workers and serves their tool calls through a ``dispatch`` callable; ``policy``
checks and compiles programs; ``worker`` and ``namespace`` run inside the worker (stdlib only, which
is why this package imports nothing: the worker must start in tens of milliseconds). See
docs/sandbox.md for what is enforced, by which layer, and what happens where the OS refuses a measure.
"""
