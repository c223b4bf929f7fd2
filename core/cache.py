"""Django's Redis cache, with one ``redis.Redis`` client per connection pool instead of one per call.

``django.core.cache.backends.redis.RedisCacheClient.get_client`` builds a new ``redis.Redis``
for every cache operation; redis-py 5+ fills ~170 response callbacks and an event dispatcher in
that constructor, which cost more than the round trip to Redis itself — paid by every cache
call (the routing version, the pages' shared copies; sessions were in Redis when this was
measured). A ``redis.Redis`` is safe to share between threads (it
takes a connection from its pool per command), and Django keeps a cache object per thread anyway.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        this: Any = self  # Django's private attributes, unknown to the type stubs
        index = this._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = this._client(connection_pool=this._get_connection_pool(write))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
