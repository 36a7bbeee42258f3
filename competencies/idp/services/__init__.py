"""IDP services: the plan and its cycle (workflow), plan against evidence (progress), HR's figures (figures)."""
