"""Page routes, one module per page family; :data:`ROUTERS` lists them for the app."""

from gateway.web.routes import (
    account,
    admin,
    apidocs,
    applications,
    audit,
    dashboard,
    files,
    mail,
    ops,
    providers,
    public,
    refusals,
    session,
)

ROUTERS = (
    session.router,
    account.router,
    dashboard.router,
    files.router,
    mail.router,
    applications.router,
    providers.router,
    refusals.router,
    audit.router,
    admin.router,
    public.router,
    ops.router,
    apidocs.router,
)
