"""``copilot mcp``: the speech tools and ``ask`` over the Model Context Protocol (official ``mcp`` SDK).

Desktop assistants and IDE agents start it over stdio (or reach it over streamable HTTP on
127.0.0.1) and call the tools on audio files of the user's machine. Every path must resolve inside
a folder named with ``--allow``; descriptions, schemas and calls come from
:class:`~copilot.integrations.host.ToolHost`, the same as for LangChain.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio

from copilot.errors import CopilotError
from copilot.integrations.host import ToolHost

log = logging.getLogger(__name__)
HOST = "127.0.0.1"
NAME = "speech-copilot"


def build_server(host: ToolHost):
    """A low-level MCP server whose tool list and calls are the host's (its schemas, not re-derived)."""
    import mcp.types as types
    from mcp.server import Server

    from copilot import __version__

    listing = [types.Tool(name=t.name, description=t.description, input_schema=t.schema) for t in host.tools()]
    schemas = {t.name: t.input_schema for t in listing}

    async def list_tools(_ctx: Any, _params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listing)

    async def call_tool(_ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        try:
            # Tools run models for seconds: off the event loop, so other requests are still read.
            value = await anyio.to_thread.run_sync(host.call, params.name, params.arguments or {})
        except CopilotError as exc:
            log.info("%s refused: %s", params.name, exc)
            return types.CallToolResult(content=[types.TextContent(text=str(exc))], is_error=True)
        text = json.dumps(value, ensure_ascii=False)
        structured = value if isinstance(value, dict) else {"result": value}
        return types.CallToolResult(content=[types.TextContent(text=text)], structured_content=structured)

    allowed = ", ".join(str(p) for p in host.allowed or ()) or "none"
    return Server(NAME, version=__version__, on_list_tools=list_tools, on_call_tool=call_tool,
                  get_tool_input_schema=schemas.get,
                  instructions=f"Speech tools over local audio files. Audio paths must lie in: {allowed}.")


def serve(allow: Sequence[str | Path], http: bool = False, port: int = 8765, **settings: Any) -> None:
    """Run until the client disconnects (stdio) or the process is stopped (HTTP)."""
    if not allow:
        raise CopilotError("copilot mcp needs at least one --allow DIR: the folders whose audio clients may read")
    host = ToolHost(allow=allow, **settings)
    server = build_server(host)
    log.info("MCP server: %d tools; audio from %s", len(host.tools()), ", ".join(map(str, host.allowed or ())))
    if http:
        anyio.run(_serve_http, server, port)
    else:
        anyio.run(_serve_stdio, server)


async def _serve_stdio(server: Any) -> None:
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


async def _serve_http(server: Any, port: int) -> None:
    import uvicorn

    app = server.streamable_http_app(host=HOST)
    log.info("MCP over streamable HTTP at http://%s:%d/mcp", HOST, port)
    await uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="warning")).serve()
