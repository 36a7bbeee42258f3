"""``flask academy jobs-declare-queues``: the broker's queues, declared once before the web and the workers start."""

from __future__ import annotations

import click
from flask import current_app


@click.command("jobs-declare-queues")
def declare_queues_command() -> None:
    """Declare the jobs' queues on the broker (``make run`` calls it before the worker and the server start)."""
    from jobs.broker import declare_queues

    names = declare_queues(current_app.extensions["celery"])
    click.echo(f"declared: {', '.join(names)}")


def register() -> None:
    from academy.cli import academy_cli

    if "jobs-declare-queues" not in academy_cli.commands:
        academy_cli.add_command(declare_queues_command)
