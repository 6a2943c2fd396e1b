"""The speech tools and ``Copilot.ask`` inside other hosts: LangChain agents and MCP clients.

:mod:`copilot.integrations.host` describes, checks and calls the tools once for every host;
:mod:`~copilot.integrations.langchain` and :mod:`~copilot.integrations.mcp_server` only adapt it.
"""
