"""The features, wired: each feature's use case made once per bot and given only what it
uses (`make_features`), and each feature's listeners registered on the router
(`register_features`). With app.py (the parts, and the job kinds), the one place that
knows every feature."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.config.settings import Settings
from invite_bot.config.vault import Vault
from invite_bot.domain.ratelimit import SlidingWindow
from invite_bot.features.accounts import listeners as accounts
from invite_bot.features.accounts.accepting import Accepting
from invite_bot.features.accounts.keys import KeyRing
from invite_bot.features.accounts.linking import Linking
from invite_bot.features.audit import listeners as audit
from invite_bot.features.audit.exporting import AuditExport
from invite_bot.features.bulk import listeners as bulk
from invite_bot.features.bulk.files import Files
from invite_bot.features.bulk.intake import Bulk
from invite_bot.features.bulk.job import BulkKind
from invite_bot.features.help import listeners as help_
from invite_bot.features.home import listeners as home
from invite_bot.features.home.refresh import HomeRefresh
from invite_bot.features.home.tab import HomeTab
from invite_bot.features.invite import listeners as invite
from invite_bot.features.invite.checks import Inviting
from invite_bot.features.invite.nothing_new import NothingNew
from invite_bot.features.invite.result import plain_kind
from invite_bot.features.listing import listeners as listing
from invite_bot.features.listing.pages import Pages
from invite_bot.features.notify import listeners as notify
from invite_bot.features.notify.notices import Notices
from invite_bot.features.reinvite import listeners as reinvite
from invite_bot.features.reinvite.reinviting import Reinviting
from invite_bot.features.requests import listeners as requests
from invite_bot.features.requests.asking import Asking
from invite_bot.features.requests.deciding import Deciding
from invite_bot.features.requests.reminding import Reminding, settle_and_remind
from invite_bot.features.revoke import listeners as revoke
from invite_bot.features.revoke.revoking import Revoking
from invite_bot.features.revoke.typed import RevokeCommand
from invite_bot.features.shortcuts import listeners as shortcuts
from invite_bot.features.shortcuts.forms import Forms
from invite_bot.features.workflow import listeners as workflow
from invite_bot.features.workflow.stepping import Stepping
from invite_bot.gencove import GencoveClient
from invite_bot.gencove.roles import Roles
from invite_bot.jobs.engine import Jobs
from invite_bot.jobs.kinds import JobKinds
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.people import Inviters
from invite_bot.slack.router import Router
from invite_bot.store import Store


@dataclass(frozen=True)
class Features:
    """Each feature's use case, made once per bot, and the parts they were made of."""

    parts: Parts
    inviters: Inviters
    keys: KeyRing
    roles: Roles
    inviting: Inviting
    pages: Pages
    notices: Notices
    revoking: Revoking
    revoke_command: RevokeCommand
    reinviting: Reinviting
    accepting: Accepting
    linking: Linking
    asking: Asking
    deciding: Deciding
    reminding: Reminding
    audit: AuditExport
    bulk: Bulk
    bulk_kind: BulkKind
    stepping: Stepping
    forms: Forms
    home: HomeTab
    home_refresh: HomeRefresh  # run beside the watcher (runtime.start_background)
    # what the watcher runs for invite requests each poll: outcomes shown, reminders sent
    settle_requests: Callable[[], Awaitable[int]]
    nothing_new: NothingNew  # an invite that made nothing new: told privately, not posted


@dataclass(frozen=True)
class Parts:
    """What the features are made of (app.py builds these)."""

    settings: Settings
    store: Store
    gencove: GencoveClient
    outbound: Outbound
    client: AsyncWebClient
    vault: Vault | None
    keys: KeyRing
    jobs: Jobs
    learn: Callable[[str], None]  # a secret learned at run time, to redact from now on


def make_features(p: Parts) -> Features:
    settings, store, gencove, outbound = p.settings, p.store, p.gencove, p.outbound
    inviters = Inviters(settings.admins, p.client)
    roles = Roles(gencove)
    inviting = Inviting(settings, inviters, SlidingWindow(settings.rate_limit), p.jobs)
    notices = Notices(store=store)
    asking = Asking(
        settings=settings, store=store, outbound=outbound, inviting=inviting, client=p.client
    )
    revoking = Revoking(
        store=store,
        gencove=gencove,
        keys=p.keys,
        messages=p.jobs.messages,
        notify_channel=settings.invite_notify_channel,
    )
    home_tab = _home_tab(p, inviters)
    deciding = Deciding(store=store, outbound=outbound, inviting=inviting, jobs=p.jobs)
    reminding = Reminding(store=store, outbound=outbound, after=settings.request_remind_after)
    return Features(
        parts=p,
        inviters=inviters,
        keys=p.keys,
        roles=roles,
        inviting=inviting,
        pages=Pages(gencove=gencove, store=store),
        notices=notices,
        revoking=revoking,
        revoke_command=_revoke_command(p, revoking),
        reinviting=Reinviting(
            store=store,
            gencove=gencove,
            inviting=inviting,
            revoking=revoking,
            notices=notices,
            messages=p.jobs.messages,
        ),
        accepting=Accepting(store=store, gencove=gencove, keys=p.keys),
        linking=_linking(p),
        asking=asking,
        deciding=deciding,
        reminding=reminding,
        audit=AuditExport(store=store, outbound=outbound),
        bulk=_bulk(p, inviting, roles),
        bulk_kind=BulkKind(store, outbound),
        stepping=Stepping(
            store=store, inviting=inviting, asking=asking, roles=roles, outbound=outbound
        ),
        forms=Forms(inviters=inviters, asking=asking, roles=roles, outbound=outbound),
        home=home_tab,
        home_refresh=HomeRefresh(store, home_tab),
        settle_requests=settle_and_remind(deciding.settle_all, reminding),
        nothing_new=NothingNew(store=store, outbound=outbound),
    )


def _revoke_command(p: Parts, revoking: Revoking) -> RevokeCommand:
    return RevokeCommand(
        revoking=revoking,
        gencove=p.gencove,
        max_targets=p.settings.invite_max_per_command,
        # revokes count against INVITE_RATE_LIMIT too, in a window of their own
        window=SlidingWindow(p.settings.rate_limit),
    )


def _linking(p: Parts) -> Linking:
    return Linking(
        store=p.store,
        gencove=p.gencove,
        keys=p.keys,
        vault=p.vault,
        org_key=p.settings.gencove_api_key,
        learn=p.learn,
    )


def _home_tab(p: Parts, inviters: Inviters) -> HomeTab:
    return HomeTab(
        store=p.store,
        outbound=p.outbound,
        inviters=inviters,
        linking_on=p.vault is not None,
        notify_channel=p.settings.invite_notify_channel,
    )


def _bulk(p: Parts, inviting: Inviting, roles: Roles) -> Bulk:
    settings = p.settings
    files = Files(
        client=p.client, bot_token=settings.slack_bot_token, api_url=settings.slack_api_url
    )
    return Bulk(
        settings=settings,
        store=p.store,
        outbound=p.outbound,
        files=files,
        inviting=inviting,
        roles=roles,
        jobs=p.jobs,
    )


def register_features(router: Router, f: Features) -> None:
    """Every feature's listeners, each given the parts it uses."""
    p = f.parts
    settings = p.settings
    help_.register(router)
    invite.register(
        router,
        inviting=f.inviting,
        asking=f.asking,
        bulk=f.bulk,
        roles=f.roles,
        outbound=p.outbound,
    )
    listing.register(router, f.pages, f.inviters)
    show_page = f.pages.page
    revoke.register(
        router,
        revoking=f.revoking,
        command=f.revoke_command,
        inviters=f.inviters,
        show_page=show_page,
        messages=p.jobs.messages,
        store=p.store,
    )
    reinvite.register(router, f.reinviting, f.inviters, show_page)
    accounts.register(router, f.accepting, f.linking, p.outbound)
    notify.register(router, p.store, f.inviters, notify_channel=settings.invite_notify_channel)
    requests.register(router, f.asking, f.deciding, f.inviting)
    bulk.register(router, f.bulk, f.bulk_kind)
    audit.register(router, f.audit, f.inviters)
    workflow.register(router, f.stepping)
    shortcuts.register(router, f.forms)
    home.register(router, f.home)


def register_job_kinds(kinds: JobKinds, f: Features) -> None:
    """Every process renders and resumes jobs alike (a `watch` worker refreshes their
    messages too): the kinds of job, and who renders the messages features own."""
    kinds.register("invite", plain_kind(kinds, private=f.nothing_new))
    kinds.register("bulk", f.bulk_kind.kind)
    kinds.own(f.notices.render_posted)  # a notification or reminder re-invited
    kinds.own(f.deciding.shown_at)  # a request with its approval's results
