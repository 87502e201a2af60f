"""Commands of officials and clerks: attach results, assign signer roles, sign in batches, return.

The signing stage and the register are imported inside the commands: `sohoa --help` starts without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from sohoa.cli.output import JsonOption, actor, console, fail, print_json

if TYPE_CHECKING:
    from workers.services import Services

result_app = typer.Typer(help="Results (kết quả) of dossiers, to be signed.", no_args_is_help=True)
signers_app = typer.Typer(help="Who holds each signer role of the catalog.", no_args_is_help=True)


def _dossier_id(services: Services, ref: str) -> int:
    dossier = services.register.get(int(ref)) if ref.isdigit() else services.register.find_by_code(ref)
    if dossier is None:
        fail(f"no dossier {ref!r}", "give a dossier number or code (sohoa search, sohoa status)")
    return dossier.id


@result_app.command("add")
def result_add(
    dossier: str = typer.Argument(..., help="Dossier number or code."),
    pdf: Path = typer.Argument(..., exists=True, dir_okay=False, help="The result PDF."),
    json_out: bool = JsonOption,
) -> None:
    """Attach a result PDF and open its signing tasks, one per signer role of the procedure."""
    from settings import load_settings
    from signing import SigningProblem
    from workers.results import ResultError, add_result
    from workers.services import Services

    services = Services(load_settings())
    try:
        attached = add_result(_dossier_id(services, dossier), pdf, services, actor())
    except (ResultError, SigningProblem) as error:
        fail(str(error))
    rows = [{"task": t.id, "step": t.step, "role": t.role, "assignee": t.assignee, "new": attached.new}
            for t in attached.tasks]
    if json_out:
        for row in rows:
            print_json(row)
        return
    if not attached.new:
        console.print(f"[yellow]this PDF was already attached[/] (sha256 {attached.sha256[:12]}…): nothing changed; "
                      "its tasks are / tệp này đã được đính kèm trước đây, không có gì thay đổi:")
    for row in rows:
        console.print(f"task {row['task']}: step {row['step']} {row['role']} → {row['assignee']}")


@signers_app.command("assign")
def signers_assign(role: str = typer.Argument(..., help="A catalog signer role, e.g. lanh_dao_ubnd_xa."),
                   person: str = typer.Argument(..., help="The person's user name.")) -> None:
    """Let PERSON sign the steps of ROLE."""
    from settings import load_settings
    from workers.results import assign
    from workers.services import Services

    assign(role, person, Services(load_settings()), actor())
    console.print(f"{person} now signs as {role}")


@signers_app.command("list")
def signers_list(json_out: bool = JsonOption) -> None:
    """Every role and who holds it."""
    from settings import load_settings
    from workers.results import assignments
    from workers.services import Services

    roles = assignments(Services(load_settings()))
    if json_out:
        print_json(roles)
        return
    for role, people in roles.items():
        console.print(f"{role}: {', '.join(people)}")


def sign(
    tasks: list[str] = typer.Argument(..., help="`inbox` to list waiting tasks, or the task numbers to sign."),
    as_person: str = typer.Option(None, "--as", help="Whose inbox, or who signs (default: your user name)."),
    token: str = typer.Option(None, "--token", help="Label of the PKCS#11 token."),
    p12: Path = typer.Option(None, "--p12", help="PKCS#12 file."),
    pin_fd: int = typer.Option(None, "--pin-fd", help="Read the PIN from this file descriptor, not a prompt."),
    title: str = typer.Option(None, "--title", help="Your title on the stamp, e.g. 'KT. CHỦ TỊCH'."),
    signature_image: Path = typer.Option(None, "--signature-image", help="Handwritten signature (blue PNG)."),
    seal_image: Path = typer.Option(None, "--seal-image", help="Agency seal (red PNG)."),
    json_out: bool = JsonOption,
) -> None:
    """`sohoa sign inbox` lists the tasks waiting for you; `sohoa sign 3 4 5 --token T` signs them.

    A batch is signed with one PIN entry; each signature is verified before it counts.
    """
    from settings import load_settings
    from signing import SigningProblem, StepNotReady
    from sohoa.cli.signing import open_session
    from workers.results import ResultError, check_ready, sign_tasks
    from workers.services import Services

    services = Services(load_settings())
    person = as_person or actor().removeprefix("cli:")
    if tasks == ["inbox"]:
        _print_inbox(services, person, json_out)
        return
    if not all(t.isdigit() for t in tasks):
        fail("tasks are numbers", "see `sohoa sign inbox` for yours")
    try:
        check_ready([int(t) for t in tasks], person, services)
        with open_session(token, p12, pin_fd) as session:
            outcomes = sign_tasks([int(t) for t in tasks], session, person, services, title=title,
                                  signature_image=signature_image, seal_image=seal_image)
    except (ResultError, StepNotReady, SigningProblem) as error:
        fail(str(error))
    for outcome in outcomes:
        if json_out:
            print_json({"task": outcome.task_id, "ok": outcome.ok, "detail": outcome.detail})
        else:
            console.print(f"[{'green' if outcome.ok else 'red'}]task {outcome.task_id}[/]: {outcome.detail}")
    if not all(o.ok for o in outcomes):
        raise typer.Exit(1)


def _print_inbox(services: Services, person: str, json_out: bool) -> None:
    from workers.results import inbox

    waiting = inbox(services, person)
    if json_out:
        for t in waiting:
            print_json({"task": t.id, "dossier_id": t.dossier_id, "step": t.step, "role": t.role})
        return
    table = Table("task", "dossier", "step", "role", title=f"{len(waiting)} results waiting for {person}")
    for t in waiting:
        table.add_row(str(t.id), str(t.dossier_id), str(t.step), t.role)
    console.print(table)


def return_command(dossier: str = typer.Argument(..., help="Dossier number or code.")) -> None:
    """Record that the signed result was handed back to the citizen (status 10)."""
    from settings import load_settings
    from workers.results import ResultError, return_result
    from workers.services import Services

    services = Services(load_settings())
    try:
        return_result(_dossier_id(services, dossier), services, actor())
    except ResultError as error:
        fail(str(error))
    console.print("recorded: Đã trả kết quả")


def register(app: typer.Typer) -> None:
    app.add_typer(result_app, name="result")
    app.add_typer(signers_app, name="signers")
    app.command()(sign)
    app.command("return")(return_command)
