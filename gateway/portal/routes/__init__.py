"""The portal's pages, one module per part; :data:`ROUTERS` lists them for the app."""

from gateway.portal.routes import account, applicant, files, send, session

ROUTERS = (session.router, files.router, send.router, account.router, applicant.router)
