"""Django's ASGI handler: a sync view's whole request in one hop to a long-lived thread.

Stock, Django runs an ASGI request through the async middleware chain, and every sync-only middleware
(sessions, locale, CSRF, auth, messages, ...) crosses from the event loop to a thread and back twice:
about twenty hops a request, each costing more than the view itself (a trivial view took 7 ms of CPU on
the 2-core machine). Here a request whose view is sync runs Django's sync chain (the WSGI one) in a single
hop, request_started/finished signals included; only async views (the web chat's long poll, which waits
in the event loop without holding a thread) take the stock async path.

Django runs a request's sync code (sync middleware, views, the ORM) on a thread of its own: stock, that
is a new thread per request, shut down when the request ends. Django's database connections belong to
their thread, so every request also opened a new database connection (SQLite: the file, its PRAGMAs;
PostgreSQL: a login) and CONN_MAX_AGE could never keep one. Here a request borrows a parked thread when
its first sync call comes, and gives it back when the request ends: threads and their connections live
on, and a burst of concurrent requests still gets as many threads as it needs. A request that never runs
sync code (the web chat's long poll waits in the event loop) never holds a thread."""

from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import closing
from functools import lru_cache

from asgiref.sync import ThreadSensitiveContext, iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import FileResponse
from django.urls import Resolver404, get_resolver, set_script_prefix
from whitenoise.middleware import WhiteNoiseMiddleware

MAX_PARKED = 8  # threads kept beyond that go away with their requests


class _ThreadPark:
    """Single-thread executors waiting for a request. Used from the event loop's thread only."""

    def __init__(self) -> None:
        self._parked: list[ThreadPoolExecutor] = []

    def borrow(self) -> ThreadPoolExecutor:
        if self._parked:
            return self._parked.pop()
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="sonnim-http")

    def give_back(self, executor: ThreadPoolExecutor) -> None:
        if len(self._parked) < MAX_PARKED:
            self._parked.append(executor)
        else:
            executor.shutdown(wait=False)


class _RequestExecutor(Executor):
    """One request's thread: borrowed at its first sync call, so every sync call of the request runs on
    the same thread (what Django's thread-sensitive mode promises), given back when the request ends."""

    def __init__(self, park: _ThreadPark) -> None:
        self._park = park
        self._thread: ThreadPoolExecutor | None = None

    def submit(self, fn, /, *args, **kwargs) -> Future:
        if self._thread is None:
            self._thread = self._park.borrow()
        return self._thread.submit(fn, *args, **kwargs)

    def release(self) -> None:
        if self._thread is not None:
            self._park.give_back(self._thread)
            self._thread = None


@lru_cache(maxsize=4096)
def _view_is_async(path: str) -> bool:
    """Whether the view at `path` is a coroutine function (a 404 is answered by the sync chain)."""
    try:
        return iscoroutinefunction(get_resolver().resolve(path).func)
    except Resolver404:
        return False


class PooledASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        self._park = _ThreadPark()
        self._sync = BaseHandler()  # the same middleware, built as the sync (WSGI) chain
        self._sync.load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = _RequestExecutor(self._park)
        try:
            async with ThreadSensitiveContext(executor=executor):
                if _view_is_async(scope["path"]):
                    await self.handle(scope, receive, send)
                else:
                    await self._handle_in_one_hop(scope, receive, send)
        finally:
            executor.release()

    async def _handle_in_one_hop(self, scope, receive, send) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        with closing(body_file):
            response = await sync_to_async(self._respond)(scope, body_file)
            await self.send_response(response, send)
            if response.streaming:  # its iterator ran while sending: close it (request_finished) after
                await sync_to_async(response.close)()

    def _respond(self, scope, body_file):
        """What Django's ASGI handler does between reading the body and sending the response, on the
        request's thread: request_started, the sync middleware chain and view, and (for a response whose
        content is already in memory) close(), which sends request_finished."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        response = error_response if request is None else self._sync.get_response(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        if not response.streaming:
            response.close()
        return response


def get_asgi_application() -> PooledASGIHandler:
    import django

    django.setup(set_prefix=False)
    return PooledASGIHandler()


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, able to run in the async middleware chain. Stock it is sync only, and one sync
    middleware near the top sent every request on a round trip between the event loop and its thread."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response) -> None:
        super().__init__(get_response)
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self._async:
            return self.__acall__(request)
        return super().__call__(request)

    async def __acall__(self, request):
        path = request.path_info
        static_file = self.find_file(path) if self.autorefresh else self.files.get(path)
        if static_file is not None:
            return await sync_to_async(self.serve, thread_sensitive=False)(static_file, request)
        return await self.get_response(request)
