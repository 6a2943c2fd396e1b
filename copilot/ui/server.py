"""The web app's server: uploads, questions as background jobs, progress, and the page itself.

One :class:`~copilot.api.Copilot` serves every question (models load once, on the first question
or while the server warms up), and questions run one at a time on a worker thread so the page can
poll for progress. Uploads are streamed to a private temporary folder under a size cap and decoded
at once with the CLI's checks, so a bad file gets the CLI's one-line error before any question.
Errors a user can cause (:class:`~copilot.errors.CopilotError`) become that line on the page; any
other exception is logged with its traceback and shown as an internal error; the server goes on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from copilot.audio import Audio, load_audio
from copilot.errors import CopilotError
from copilot.planner.records import Answer
from copilot.ui.picture import audio_picture, overlays

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
KEEP_UPLOADS = 16  # older uploads are forgotten and their files deleted
KEEP_JOBS = 32
SHOWN_CHARS = 4000  # a tool call's arguments or result, as JSON, beyond which the table cuts it


class UserError(CopilotError):
    """A request the page should not have sent (no audio, an unknown upload): one line, status 400."""

    status = 400


class UploadTooLargeError(UserError):
    status = 413


class CancelledError(CopilotError):
    """Raised on the worker thread at the next step of a question the user cancelled."""


@dataclass
class Upload:
    name: str
    audio: Audio
    folder: Path


@dataclass
class Job:
    stage: str
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    cancelled: bool = False

    def step(self, stage: str) -> None:
        """The planner's progress ("planning", "repair 2", "running the program"); stops a cancelled job."""
        if self.cancelled:
            raise CancelledError("cancelled")
        self.stage = stage

    def view(self) -> dict[str, Any]:
        end = self.finished or time.monotonic()
        if self.cancelled:
            state = "cancelled"
        else:
            state = "running" if self.finished is None else ("failed" if self.error else "done")
        return {"state": state, "stage": self.stage, "elapsed_s": round(end - self.started, 1),
                "error": self.error, "result": self.result}


class Question(BaseModel):
    instruction: str
    audio: list[str]
    text: str | None = None
    options: list[str] = []


def _safe_name(name: str) -> str:
    """A file name the user sent, reduced to harmless characters (its suffix helps ffmpeg)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name or "upload").name).strip("._") or "upload"
    return cleaned[-100:]


def _json_text(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + f"… ({len(text)} characters)"


def answer_view(answer: Answer) -> dict[str, Any]:
    """What the page shows of an Answer, read from its one JSON form (``to_dict()``); the recordings'
    handle names come from the signature the question was planned with."""
    data = answer.to_dict()
    audio_names = [p for p in data.get("signature") or [] if p.startswith("audio")]
    calls = [c for c in data.get("tool_calls") or [] if isinstance(c, dict)]
    return {
        "ok": bool(data.get("ok")), "answer": data.get("answer"), "error": data.get("error"),
        "program": data.get("program") or "", "timings": data.get("timings") or {},
        "tokens": data.get("tokens") or {}, "caveats": [str(c) for c in data.get("caveats") or []],
        "source": data.get("source") or "planned", "source_instruction": data.get("source_instruction"),
        "tool_calls": [{"name": str(c.get("name", "?")), "args": _json_text(c.get("args")),
                        "result": _json_text(c.get("result")) if c.get("error") is None else "",
                        "error": c.get("error"), "seconds": float(c.get("seconds") or 0.0)} for c in calls],
        "overlays": overlays(calls, audio_names),
    }


class UIState:
    """The loaded Copilot, the uploads and the question jobs of one server."""

    def __init__(self, make_copilot: Callable[[], Any], max_audio_seconds: float, max_upload_bytes: int) -> None:
        self.make_copilot = make_copilot
        self.max_audio_seconds = max_audio_seconds
        self.max_upload_bytes = max_upload_bytes
        self.folder = Path(tempfile.mkdtemp(prefix="copilot-ui-"))
        self.uploads: OrderedDict[str, Upload] = OrderedDict()
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self.lock = threading.Lock()
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="copilot-ui")
        self._copilot: Any = None

    # -- the Copilot ------------------------------------------------------------------------------
    def copilot(self, job: Job | None = None) -> Any:
        """The shared Copilot, built and its LLM loaded on first use (only ever on the worker thread)."""
        if self._copilot is None:
            if job:
                job.stage = "loading the Copilot: toolset and retrieval model (first question only)"
            copilot = self.make_copilot()
            if job:
                job.stage = "loading the LLM (first question only; the embedded model's weights are joined once)"
            getattr(copilot, "llm", None)
            self._copilot = copilot
        return self._copilot

    @property
    def loaded(self) -> bool:
        return self._copilot is not None

    def warm_up(self) -> None:
        """Load the Copilot in the background so the first question waits less."""
        def load() -> None:
            try:
                self.copilot()
            except Exception as exc:  # noqa: BLE001 - reported again by the first question
                log.warning("warm-up failed (the first question will say why): %s", exc)

        self.worker.submit(load)

    # -- uploads ----------------------------------------------------------------------------------
    async def receive(self, request: Request, name: str) -> tuple[str, Upload]:
        """Stream one upload to disk under the size cap, then decode it with the CLI's checks."""
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_upload_bytes:
            raise UploadTooLargeError(f"{name}: the file is larger than the {self._cap()} upload limit")
        upload_id = secrets.token_hex(8)
        folder = self.folder / upload_id
        folder.mkdir()
        path = folder / _safe_name(name)
        size = 0
        try:
            with path.open("wb") as fh:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > self.max_upload_bytes:
                        raise UploadTooLargeError(f"{name}: the file is larger than the {self._cap()} upload limit")
                    fh.write(chunk)
            try:
                audio = await run_in_threadpool(load_audio, path, self.max_audio_seconds)
            except CopilotError as exc:
                raise type(exc)(str(exc).replace(str(path), name)) from None
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        upload = Upload(name, audio, folder)
        with self.lock:
            self.uploads[upload_id] = upload
            while len(self.uploads) > KEEP_UPLOADS:
                _, old = self.uploads.popitem(last=False)
                shutil.rmtree(old.folder, ignore_errors=True)
        return upload_id, upload

    def _cap(self) -> str:
        return f"{self.max_upload_bytes / 1e6:g} MB"

    # -- questions --------------------------------------------------------------------------------
    def submit(self, question: Question) -> str:
        if not question.instruction.strip():
            raise UserError("type a question first")
        if not question.audio:
            raise UserError("upload or record a recording first")
        with self.lock:
            missing = [a for a in question.audio if a not in self.uploads]
            if missing:
                raise UserError("that recording is no longer on the server; upload it again")
            recordings = [self.uploads[a].audio for a in question.audio]
            waiting = "waiting for the previous question" if self.loaded else \
                "waiting for the models to finish loading (first start only)"
            job_id, job = secrets.token_hex(8), Job(stage=waiting)
            self.jobs[job_id] = job
            while len(self.jobs) > KEEP_JOBS:
                self.jobs.popitem(last=False)
        self.worker.submit(self._answer, job, question, recordings)
        return job_id

    def _answer(self, job: Job, question: Question, recordings: list[Audio]) -> None:
        try:
            copilot = self.copilot(job)
            job.step("planning the program and running it (new questions ask the LLM; tools load on first use)")
            text = question.text if question.text and question.text.strip() else None
            options = [o.strip() for o in question.options if o.strip()] or None
            answer = copilot.ask(question.instruction.strip(), audio=recordings, text=text, options=options,
                                 on_phase=job.step)
            job.result = answer_view(answer)
            if not job.result["ok"]:
                job.error = f"no answer: {job.result['error']}"
        except CopilotError as exc:
            job.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - a bug must not take the server down
            log.exception("question failed")
            job.error = f"internal error ({type(exc).__name__}: {exc}); the server log has the details"
        finally:
            job.stage = "finished"
            job.finished = time.monotonic()

    def job(self, job_id: str) -> Job:
        with self.lock:
            job = self.jobs.get(job_id)
        if job is None:
            raise UserError("no such question on this server (it may have restarted)")
        return job

    def cancel(self, job_id: str) -> Job:
        """Stop a question: at once if it waits, else when the step under way (an LLM call, a run) ends."""
        job = self.job(job_id)
        if job.finished is None:
            job.cancelled = True
            job.stage = "cancelled (the step under way finishes in the background)"
        return job

    def close(self) -> None:
        self.worker.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def create_app(make_copilot: Callable[[], Any], *, max_audio_seconds: float, max_upload_bytes: int,
               warm_up: bool = True) -> FastAPI:
    """The web app; ``make_copilot`` builds the one Copilot it uses (called once, on the worker thread)."""
    state = UIState(make_copilot, max_audio_seconds, max_upload_bytes)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        if warm_up:
            state.warm_up()
        yield
        state.close()

    app = FastAPI(title="speech-copilot", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.ui = state
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(CopilotError)
    async def user_error(request: Request, exc: CopilotError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=getattr(exc, "status", 400))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = (exc.errors() or [{}])[0]
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return JSONResponse({"error": f"bad request: {where} {first.get('msg', '')}".strip()}, status_code=400)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("request failed", exc_info=exc)
        return JSONResponse({"error": f"internal error ({type(exc).__name__}); the server log has the details"},
                            status_code=500)

    @app.get("/")
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/api/info")
    async def info() -> dict[str, Any]:
        return {"max_audio_seconds": state.max_audio_seconds, "max_upload_bytes": state.max_upload_bytes,
                "models_loaded": state.loaded}

    @app.post("/api/audio")
    async def audio(request: Request, name: str = "upload") -> dict[str, Any]:
        upload_id, upload = await state.receive(request, name)
        return {"id": upload_id, "name": upload.name, **await run_in_threadpool(audio_picture, upload.audio)}

    @app.post("/api/ask")
    async def ask(question: Question) -> dict[str, str]:
        return {"job": state.submit(question)}

    @app.get("/api/jobs/{job_id}")
    async def job(job_id: str) -> dict[str, Any]:
        return state.job(job_id).view()

    @app.post("/api/jobs/{job_id}/cancel")
    async def cancel(job_id: str) -> dict[str, Any]:
        return state.cancel(job_id).view()

    return app
