"""Exit 0 when the PostgreSQL server at the URL given answers, else 1 (used by `make test`)."""

import sys

import psycopg
from sqlalchemy.engine import make_url

url = make_url(sys.argv[1]).set(drivername="postgresql")
try:
    psycopg.connect(url.render_as_string(hide_password=False), connect_timeout=3).close()
except psycopg.OperationalError:
    sys.exit(1)
