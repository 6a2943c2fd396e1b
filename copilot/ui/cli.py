"""``copilot ui``: start the local web app (imports the server only when the command runs)."""

from __future__ import annotations

import click


@click.command("ui")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The default serves this machine only; see docs/ui.md before "
                   "exposing it (put a reverse proxy with authentication in front).")
@click.option("--port", default=7860, show_default=True, type=click.IntRange(1, 65535))
@click.option("--max-upload-mb", default=100.0, show_default=True, type=click.FloatRange(min=0.01),
              help="Largest upload accepted, per file. Longer audio than settings' max_audio_seconds is refused too.")
@click.option("--max-seconds", type=float, help="Refuse audio longer than this (default: the max_audio_seconds setting).")
@click.option("--no-warm-up", is_flag=True, help="Load the models on the first question instead of at start.")
def ui(host: str, port: int, max_upload_mb: float, max_seconds: float | None, no_warm_up: bool) -> None:
    """Open a web page to ask questions about recordings (uploaded or recorded in the browser).

    It shows the answer, the program, every tool call, the timings, and the audio with what the
    tools found drawn on it. Everything runs on this machine; no page asset comes from the internet.

    \b
    Example:
      copilot ui --port 7860      # then open http://127.0.0.1:7860/
    """
    import uvicorn

    from copilot.config import load_settings
    from copilot.ui.server import create_app

    overrides = {"max_audio_seconds": max_seconds} if max_seconds else {}
    settings = load_settings(**overrides)

    def make_copilot():
        from copilot.api import Copilot

        return Copilot(settings=settings)

    app = create_app(make_copilot, max_audio_seconds=settings.max_audio_seconds,
                     max_upload_bytes=int(max_upload_mb * 1e6), warm_up=not no_warm_up)
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: listening on {host} without authentication: anyone who reaches this port can run "
                   "questions here (docs/ui.md: put a reverse proxy with log-in in front instead)", err=True)
    click.echo(f"speech-copilot UI on http://{host}:{port}/ (Ctrl+C stops it)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
