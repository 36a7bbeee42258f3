"""The real Redis on 127.0.0.1 for the tests: a key prefix of a test's own, its keys deleted afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

REDIS_URL = "redis://127.0.0.1:6379"


def redis_prefix_or_skip() -> Iterator[str]:
    """Yield a fresh key prefix; skip without Redis, except under CI (`.ci/run` starts it), where it fails."""
    import redis

    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Redis at {REDIS_URL} (.ci/run starts it)")
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"academy-test-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        keys = list(connection.scan_iter(match=f"*{prefix}*"))
        if keys:
            connection.delete(*keys)
        connection.close()
