"""The platform with no statement projection at all (not even the batch's person lock): the LRS alone.

For bench/projection_cost.py only, which compares HTTP ingest with and without the projections.
"""

from academy import create_app

app = create_app()
# Every projection and subscriber the domains registered (lrs.pipeline): stored batches go nowhere.
app.extensions["lrs.projections"] = []
