"""``flask academy notifications-send``: one run of the notifications (what a schedule calls)."""

from __future__ import annotations

import json

import click

from academy.cli import academy_cli
from academy.dates import utcnow


@click.command("notifications-send")
@click.option("--partition", default=None, help="INDEX/COUNT: only recipients whose user id modulo COUNT is INDEX.")
def notifications_send(partition: str | None) -> None:
    """Produce the notifications due now (once each) and mail the pending ones; print the counts."""
    from academy.notifications.services import send_due_notifications

    part: tuple[int, int] | None = None
    if partition:
        index, _, count = partition.partition("/")
        if not (index.isdigit() and count.isdigit()) or not 0 <= int(index) < int(count):
            raise click.BadParameter("INDEX/COUNT with 0 <= INDEX < COUNT", param_hint="--partition")
        part = (int(index), int(count))
    click.echo(json.dumps(send_due_notifications(utcnow(), part), sort_keys=True))


def register() -> None:
    if "notifications-send" not in academy_cli.commands:
        academy_cli.add_command(notifications_send)
