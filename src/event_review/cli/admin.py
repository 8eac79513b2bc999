"""Administration commands: regions, teams, users, keys, and a look into a region."""

from __future__ import annotations

import json

import typer

from event_review.cli.support import (
    JsonOption,
    emit,
    fail,
    friendly_errors,
    load_settings,
    read_password,
)
from event_review.targets import operator
from event_review.targets.lifecycle import Side, in_transaction
from event_review.targets.operator import RetentionPolicy, ReviewTextPolicy, Role

regions_app = typer.Typer(help="Regions: where events come from and where their payloads stay.")
teams_app = typer.Typer(help="Teams and the regions whose events they review.")
users_app = typer.Typer(help="Users: reviewers, leads and admins.")
keys_app = typer.Typer(help="Keys that sign the centre's calls to the regions.")
regional_app = typer.Typer(help="Look into a region's own database (run inside the region).")

SUB_APPS = {
    "regions": regions_app,
    "teams": teams_app,
    "users": users_app,
    "keys": keys_app,
    "regional": regional_app,
}
NAME = "admin"  # how these commands appear in pg_stat_activity


@regions_app.command("add")
def regions_add(
    code: str = typer.Argument(..., help="Region code, e.g. eu, us, apac (stored lowercase)."),
    api_url: str = typer.Option(
        ..., "--api-url", help="Base URL of the region's API (payload fetch and review update)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Register a region and print its ingest key ONCE (only a hash is stored)."""
    settings = load_settings()
    with friendly_errors(as_json):
        created = in_transaction(
            settings, lambda s: operator.add_region(s, code, api_url), name=NAME
        )
    emit(
        created,
        as_json=as_json,
        text=(
            f"region {created.code} registered ({created.api_url})\n"
            f"ingest key (shown once; give it to the {created.code} forwarder):\n"
            f"{created.ingest_key}"
        ),
    )


@regions_app.command("set-retention")
def regions_set_retention(
    code: str = typer.Argument(..., help="Region code."),
    policy: RetentionPolicy = typer.Option(
        ..., "--policy", help="keep, delete_on_complete or purge_after_days."
    ),
    days: int | None = typer.Option(None, "--days", help="With purge_after_days: N days."),
    as_json: bool = JsonOption,
) -> None:
    """Set how long completed events stay in the central store (`event-review purge` applies it)."""
    settings = load_settings()
    with friendly_errors(as_json):
        region = in_transaction(
            settings, lambda s: operator.set_retention(s, code, policy, days), name=NAME
        )
    suffix = f" ({region.retention_days} days)" if region.retention_days is not None else ""
    emit(region, as_json=as_json, text=f"region {region.code}: {region.retention_policy}{suffix}")


@regions_app.command("set-review-text")
def regions_set_review_text(
    code: str = typer.Argument(..., help="Region code."),
    policy: ReviewTextPolicy = typer.Option(..., "--policy", help="central or regional."),
    as_json: bool = JsonOption,
) -> None:
    """Set where what reviewers type is kept: `regional` clears it centrally once the region
    has it (also for what was delivered before), and the web client reads it from there."""
    settings = load_settings()
    with friendly_errors(as_json):
        region = in_transaction(
            settings, lambda s: operator.set_review_text(s, code, policy), name=NAME
        )
    emit(region, as_json=as_json, text=f"region {region.code}: review text {region.review_text}")


@regions_app.command("rotate-key")
def regions_rotate_key(
    code: str = typer.Argument(..., help="Region code."),
    as_json: bool = JsonOption,
) -> None:
    """Issue a new ingest key; the old one keeps working until `revoke-old-keys`."""
    settings = load_settings()
    with friendly_errors(as_json):
        key = in_transaction(settings, lambda s: operator.rotate_key(s, code), name=NAME)
    if as_json:
        typer.echo(json.dumps({"code": code.lower(), "ingest_key": key}))
    else:
        typer.echo(f"new ingest key for {code.lower()} (shown once; the old key still works):")
        typer.echo(key)


@regions_app.command("revoke-old-keys")
def regions_revoke_old_keys(
    code: str = typer.Argument(..., help="Region code."),
    as_json: bool = JsonOption,
) -> None:
    """Finish a rotation: every ingest key of the region but the newest stops working now."""
    settings = load_settings()
    with friendly_errors(as_json):
        revoked = in_transaction(settings, lambda s: operator.revoke_old_keys(s, code), name=NAME)
    if as_json:
        typer.echo(json.dumps({"code": code.lower(), "revoked": revoked}))
    else:
        typer.echo(f"revoked {revoked} old ingest key(s) of {code.lower()}")


@regions_app.command("list")
def regions_list(as_json: bool = JsonOption) -> None:
    """List the registered regions."""
    settings = load_settings()
    with friendly_errors(as_json):
        regions = in_transaction(settings, operator.list_regions, name=NAME, read_only=True)
    lines = [f"{'CODE':<16} {'RETENTION':<20} API URL"] + [
        f"{r.code:<16} {r.retention_policy:<20} {r.api_url}" for r in regions
    ]
    emit(list(regions), as_json=as_json, text="\n".join(lines))


@teams_app.command("add")
def teams_add(
    name: str = typer.Argument(..., help="Team name."),
    regions: str = typer.Option(
        "", "--regions", help="Comma-separated region codes the team reviews, e.g. us,eu."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create a team mapped to the regions whose events it reviews."""
    settings = load_settings()
    codes = [c for c in regions.split(",") if c.strip()]
    with friendly_errors(as_json):
        team = in_transaction(settings, lambda s: operator.add_team(s, name, codes), name=NAME)
    emit(
        team,
        as_json=as_json,
        text=f"team {team.name} created, reviewing: {', '.join(team.regions) or '(no regions)'}",
    )


@teams_app.command("list")
def teams_list(as_json: bool = JsonOption) -> None:
    """List teams and their regions."""
    settings = load_settings()
    with friendly_errors(as_json):
        teams = in_transaction(settings, operator.list_teams, name=NAME, read_only=True)
    lines = [f"{'TEAM':<24} REGIONS"] + [f"{t.name:<24} {','.join(t.regions)}" for t in teams]
    emit(list(teams), as_json=as_json, text="\n".join(lines))


@users_app.command("add")
def users_add(
    username: str = typer.Argument(..., help="Login name (stored lowercase)."),
    role: Role = typer.Option(Role.REVIEWER, "--role", help="reviewer, qa, lead or admin."),
    team: str | None = typer.Option(
        None, "--team", help="Team name; required for reviewers and leads."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create a user. The password is read from stdin (or prompted), never from arguments."""
    settings = load_settings()
    password = read_password(password_stdin)
    with friendly_errors(as_json):
        user = in_transaction(
            settings, lambda s: operator.add_user(s, username, password, role, team), name=NAME
        )
    emit(
        user,
        as_json=as_json,
        text=f"user {user.username} created ({user.role.value}, team {user.team or '-'})",
    )


@users_app.command("list")
def users_list(as_json: bool = JsonOption) -> None:
    """List users with their role and team."""
    settings = load_settings()
    with friendly_errors(as_json):
        users = in_transaction(settings, operator.list_users, name=NAME, read_only=True)
    lines = [f"{'USERNAME':<24} {'ROLE':<9} {'TEAM':<24} ACTIVE"] + [
        f"{u.username:<24} {u.role.value:<9} {u.team or '-':<24} {'yes' if u.is_active else 'no'}"
        for u in users
    ]
    emit(list(users), as_json=as_json, text="\n".join(lines))


@keys_app.command("generate")
def keys_generate(as_json: bool = JsonOption) -> None:
    """Make a new Ed25519 key pair: the private half for the centre, the public for regions."""
    private_pem, public_pem = operator.new_key_pair()
    if as_json:
        typer.echo(json.dumps({"private_key": private_pem, "public_key": public_pem}))
        return
    typer.echo("# centre: EVENT_REVIEW_REGIONAL_SIGNING_KEY (keep secret)")
    typer.echo(private_pem)
    typer.echo("# every region: EVENT_REVIEW_CENTRAL_PUBLIC_KEYS")
    typer.echo(public_pem)


@regional_app.command("show")
def regional_show(
    external_event_id: str = typer.Argument(..., help="The region's id of the event."),
    region: str = typer.Option(..., "--region", help="Region code."),
    as_json: bool = JsonOption,
) -> None:
    """Show a regional event's review outcome as the region recorded it (not its payload)."""
    settings = load_settings()
    code = region.lower()
    with friendly_errors(as_json):
        found = in_transaction(
            settings,
            lambda s: operator.regional_review(s, external_event_id),
            name=f"show-{code}",
            side=Side.REGIONAL,
            region=code,
            read_only=True,
        )
    if found is None:
        fail(f"no event {external_event_id!r} in region {code}", as_json=as_json, code="not_found")
    if as_json:
        typer.echo(json.dumps(found))
    else:
        typer.echo(
            "\n".join(
                f"{key:<20} {value if value is not None else '-'}" for key, value in found.items()
            )
        )
