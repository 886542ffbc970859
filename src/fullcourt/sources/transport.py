"""A synchronous httpx transport that answers from an in-process ASGI app.

The scrapers use the synchronous `httpx.Client` so the engine can call them from plain
threads with a bounded pool, and so the real-network path is the stock httpx transport.
httpx ships `ASGITransport` only for the async client, and it ignores timeouts. This
bridge runs the app on one private event loop in a daemon thread and waits for each
response with the request's own read timeout: a handler that sleeps past it is
cancelled and the caller gets `httpx.ReadTimeout`, exactly what a slow real server
produces. No socket is opened; many threads may send through one bridge at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any

import httpx

__all__ = ["ASGIBridge"]


class ASGIBridge(httpx.BaseTransport):
    def __init__(self, app: Any):
        self._asgi = httpx.ASGITransport(app=app)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="fullcourt-asgi-bridge", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    async def _send(self, request: httpx.Request) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        response = await self._asgi.handle_async_request(request)
        body = await response.aread()
        return response.status_code, response.headers.raw, body

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {}).get("read")
        future = asyncio.run_coroutine_threadsafe(self._send(request), self._running_loop())
        try:
            status, headers, body = future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise httpx.ReadTimeout(f"no response within {timeout}s", request=request) from None
        return httpx.Response(status, headers=headers, content=body, request=request)

    def close(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            # Cancel handlers still sleeping (timed-out requests) before the loop goes away.
            asyncio.run_coroutine_threadsafe(_cancel_pending(), loop).result(timeout=5)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()


async def _cancel_pending() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
