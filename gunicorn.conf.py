"""gunicorn's settings for the platform: `gunicorn wsgi:app`, run from this directory, reads them."""

# Threaded workers. Browsers keep idle keep-alive connections open to an AU's content and to the
# LRS; a sync worker serves one connection at a time, so such a connection stalls the worker
# (with one sync worker every browser test timed out). A gthread worker gives each connection a
# thread and keeps the idle ones aside. Every command line in the README and bench/ says so too.
worker_class = "gthread"
threads = 8
