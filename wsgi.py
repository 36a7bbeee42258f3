import gc

from academy import create_app

app = create_app()

# What start-up built (modules, the app, its extensions and caches) lives as long as the process:
# frozen out of the collector's reach, a full collection no longer walks it in the middle of a
# request (it cost ~130 ms, the HR person page's p95; README, Benchmarks).
gc.freeze()
