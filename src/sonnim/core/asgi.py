"""Django's ASGI handler, with the sync half of each request on long-lived threads.

Django runs a request's sync code (sync middleware, views, the ORM) on a thread of its own: stock, that
is a new thread per request, shut down when the request ends. Django's database connections belong to
their thread, so every request also opened a new database connection (SQLite: the file, its PRAGMAs;
PostgreSQL: a login) and CONN_MAX_AGE could never keep one. Here a request borrows a parked thread when
its first sync call comes, and gives it back when the request ends: threads and their connections live
on, and a burst of concurrent requests still gets as many threads as it needs. A request that never runs
sync code (the web chat's long poll waits in the event loop) never holds a thread."""

from concurrent.futures import Executor, Future, ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.core.handlers.asgi import ASGIHandler
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


class PooledASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        self._park = _ThreadPark()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = _RequestExecutor(self._park)
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            executor.release()


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
