"""`parity serve`: the focal points' check-and-send page (Starlette, served by uvicorn behind the
organisation's HTTPS reverse proxy).

A focal point signs in with their country's access token, uploads a delivery and sees within seconds
what `parity check` would say (the same reader and suites, in their language and English), sends it
when it is ready (written atomically into their country's inbox: the sensor takes it from there), and
sees their quarters' status and every version's quality report.

What this process may touch: the inbox (writing), $PARITY_HOME/web (its own store and the uploads),
$PARITY_HOME/status and the quality reports (reading), the configuration. Never the warehouse or its
lock (a load may hold them for minutes), never the pseudonymisation key: the checks pseudonymise with
a throwaway key, as `parity check` does without a warehouse.
"""
import contextlib
import dataclasses
import datetime as dt
import secrets
import socket
import threading
import time
from collections.abc import Iterator

import anyio
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from parity.check import check_files, language_of
from parity.config import Settings
from parity.deadlines import due_date, timeliness, watched_periods
from parity.messages import LANGUAGES, label, web_text
from parity.quality.report import STYLE, local_time, report_sections, verdict_line
from parity.status import read_status
from parity.web import uploads
from parity.web.access import FAILED_WINDOW, AccessStore, Session
from sources.reader import example_names

SESSION_COOKIE = "parity_session"
SIGN_IN_COOKIE = "parity_sign_in"  # the sign-in form's own CSRF token (there is no session yet)
LANG_COOKIE = "parity_lang"
SHOWN_AFTER = {"/check": "/check", "/send": "/status"}  # the page a form's answer is (its language links go there)
CHECKS_AT_ONCE = 2  # one per core: each check reads its files in a child process
# what every answer says to the browser: no framing by other sites, no guessing of types, no referrer
# leaving with a URL, nothing loaded from anywhere but this page itself (and no script at all)
HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
                                      "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
           "Cache-Control": "no-store"}


def create_app(settings: Settings, secure_cookies: bool = True) -> Starlette:
    """The application for `settings`' home. It holds no pseudonymisation key, whatever the environment
    says. `secure_cookies` False: only for plain http to this machine (make dev)."""
    settings = dataclasses.replace(settings, pseudonym_key=None)
    page = Page(settings, secure_cookies)
    # a stopped server's uploads: unsent, deleted
    uploads.sweep(page.web_dir, set(), dt.datetime.now(dt.UTC), grace=dt.timedelta(0))

    routes = [Route("/", page.home), Route("/sign-in", page.sign_in, methods=["POST"]),
              Route("/sign-out", page.sign_out, methods=["POST"]),
              Route("/check", page.check_form), Route("/check", page.check, methods=["POST"]),
              Route("/send", page.send, methods=["POST"]), Route("/status", page.status),
              Route("/report/{delivery_id:int}", page.report)]
    return Starlette(routes=routes, exception_handlers={HTTPException: page.http_error},
                     middleware=[Middleware(BodyLimit, limit=settings.upload_bytes)])


class BodyLimit:
    """Refuses a request body over `limit` bytes: at once when its Content-Length says so, else as soon as
    what arrived passes it. The refusal is an HTTPException(413), answered by the page in the reader's
    language (Starlette's own limit answers in English text)."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        received = 0

        async def limited():
            nonlocal received
            if not declared.isdigit() or int(declared) > self.limit:
                raise HTTPException(413)
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise HTTPException(413)
            return message

        await self.app(scope, limited, send)


class Page:
    def __init__(self, settings: Settings, secure_cookies: bool):
        self.settings, self.secure_cookies = settings, secure_cookies
        self.config = settings.config()
        self.web_dir = settings.web_dir
        self.store = AccessStore(self.web_dir)
        self.checks = anyio.CapacityLimiter(CHECKS_AT_ONCE)
        self.templates = Environment(loader=PackageLoader("parity.web"), autoescape=select_autoescape(["j2"]))

    # --- helpers --------------------------------------------------------------------------------

    def language(self, request: Request, session: Session | None) -> str:
        chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
        if chosen in LANGUAGES:
            return chosen
        if session is not None:
            return language_of(session.country, self.config)
        accepted = request.headers.get("accept-language", "")
        return next((lang for lang in ("bs", "cnr", "mk", "sr") if accepted.lower().startswith(lang)), "en")

    def render(self, request: Request, name: str, lang: str, session: Session | None, status_code: int = 200,
               cookies: dict[str, str] | None = None, **context) -> HTMLResponse:
        body = self.templates.get_template(name).render(
            lang=lang, languages=LANGUAGES, session=session, style=STYLE,
            path=request.url.path if request.method == "GET" else SHOWN_AFTER.get(request.url.path, "/"),
            t=lambda key, **values: web_text(lang, key, **values),
            en=lambda key, **values: web_text("en", key, **values), **context)
        response = HTMLResponse(body, status_code=status_code, headers=HEADERS)
        if request.query_params.get("lang") in LANGUAGES:
            self._cookie(response, LANG_COOKIE, request.query_params["lang"], max_age=365 * 24 * 3600)
        for name_, value in (cookies or {}).items():
            self._cookie(response, name_, value)
        return response

    def _cookie(self, response: Response, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict", secure=self.secure_cookies)

    def _session(self, request: Request) -> Session | None:
        return self.store.session(request.cookies.get(SESSION_COOKIE), dt.datetime.now(dt.UTC))

    def _signed_in(self, request: Request) -> Session:
        now = dt.datetime.now(dt.UTC)
        # whoever comes by clears the uploads no live session holds any more, and those older than an hour
        uploads.sweep(self.web_dir, self.store.uploads_held(now), now)
        session = self._session(request)
        if session is None:
            raise HTTPException(303, headers={"Location": "/"})
        return session

    @staticmethod
    def _same_token(given: object, expected: str) -> bool:
        return isinstance(given, str) and bool(expected) and secrets.compare_digest(given, expected)

    def _refuse_form(self, request: Request, lang: str, session: Session | None) -> HTMLResponse:
        return self.render(request, "message.html.j2", lang, session, status_code=403, message="form_expired")

    async def http_error(self, request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 303:
            return RedirectResponse(exc.headers["Location"], status_code=303, headers=HEADERS)
        session = self._session(request)
        lang = self.language(request, session)
        if exc.status_code == 413:
            return self.render(request, "message.html.j2", lang, session, status_code=413, message="too_large",
                               values={"limit_mb": self.settings.upload_bytes >> 20, "email": self.config.engineers_email})
        return self.render(request, "message.html.j2", lang, session, status_code=exc.status_code, message="not_found")

    # --- signing in and out -------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        session = self._session(request)
        if session is not None:
            return RedirectResponse("/check", status_code=303, headers=HEADERS)
        return self._sign_in_page(request, self.language(request, None))

    def _sign_in_page(self, request: Request, lang: str, status_code: int = 200, failed: bool = False) -> HTMLResponse:
        csrf = secrets.token_urlsafe(32)
        return self.render(request, "sign_in.html.j2", lang, None, status_code=status_code, csrf=csrf, failed=failed,
                           email=self.config.engineers_email, cookies={SIGN_IN_COOKIE: csrf})

    async def sign_in(self, request: Request) -> Response:
        lang = self.language(request, None)
        address = request.client.host if request.client else "?"
        now = dt.datetime.now(dt.UTC)
        if self.store.refused(address, now):
            response = self.render(request, "message.html.j2", lang, None, status_code=429, message="too_many",
                                   values={"minutes": int(FAILED_WINDOW.total_seconds() // 60)})
            response.headers["Retry-After"] = str(int(FAILED_WINDOW.total_seconds()))
            return response
        async with request.form(max_files=0, max_fields=4, max_part_size=4096) as form:
            csrf, token = form.get("csrf"), form.get("token")
        if not self._same_token(csrf, request.cookies.get(SIGN_IN_COOKIE, "")):
            return self._refuse_form(request, lang, None)
        cookie = self.store.sign_in(token.strip() if isinstance(token, str) else "", address, now)
        if cookie is None:
            return self._sign_in_page(request, lang, status_code=401, failed=True)
        response = RedirectResponse("/check", status_code=303, headers=HEADERS)
        self._cookie(response, SESSION_COOKIE, cookie)
        response.delete_cookie(SIGN_IN_COOKIE)
        return response

    async def sign_out(self, request: Request) -> Response:
        session = self._signed_in(request)
        async with request.form(max_files=0, max_fields=2, max_part_size=4096) as form:
            if not self._same_token(form.get("csrf"), session.csrf):
                return self._refuse_form(request, self.language(request, session), session)
        uploads.delete(uploads.folder_of(self.web_dir, session.upload))
        self.store.sign_out(session)
        response = RedirectResponse("/", status_code=303, headers=HEADERS)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # --- checking and sending -------------------------------------------------------------------

    def _check_page(self, request: Request, session: Session, lang: str, status_code: int = 200,
                    **context) -> HTMLResponse:
        return self.render(request, "check.html.j2", lang, session, status_code=status_code,
                           limit_mb=self.settings.upload_bytes >> 20, example=example_names(session.country),
                           **context)

    async def check_form(self, request: Request) -> Response:
        session = self._signed_in(request)
        return self._check_page(request, session, self.language(request, session))

    async def check(self, request: Request) -> Response:
        session = self._signed_in(request)
        lang = self.language(request, session)
        folder = uploads.new_upload(self.web_dir)
        try:
            async with request.form(max_files=20, max_fields=2, max_part_size=4096) as form:
                if not self._same_token(form.get("csrf"), session.csrf):
                    uploads.delete(folder)
                    return self._refuse_form(request, lang, session)
                parts = [f for f in form.getlist("files") if not isinstance(f, str) and f.filename]
                stored = [uploads.store(folder, i, f.filename, f.file) for i, f in enumerate(parts)]
        except BaseException:
            uploads.delete(folder)
            raise
        if not stored:
            uploads.delete(folder)
            return self._check_page(request, session, lang, status_code=400, notice="no_file")
        uploads.write_manifest(folder, stored)
        uploads.delete(uploads.folder_of(self.web_dir, self.store.hold_upload(session, folder.name)))
        versions = await anyio.to_thread.run_sync(self._check_files, session.country, stored, limiter=self.checks)
        errors = any(p.severity == "error" for v in versions for p in v.problems)
        if errors:  # nothing of it can be sent: not kept a moment longer
            self.store.hold_upload(session, None)
            uploads.delete(folder)
        return self._check_page(
            request, session, lang, verdict_line=verdict_line(versions, lang), ready=not errors,
            fingerprint=uploads.fingerprint(stored),
            files=[f.name for f in stored], reports=[report_sections(v, lang, check=True) for v in versions])

    def _check_files(self, country: str, stored: list[uploads.Uploaded]):
        return check_files([f.stored for f in stored], names=[f.name for f in stored], country=country,
                           settings=self.settings, config=self.config)

    async def send(self, request: Request) -> Response:
        session = self._signed_in(request)
        lang = self.language(request, session)
        async with request.form(max_files=0, max_fields=3, max_part_size=4096) as form:
            csrf, shown = form.get("csrf"), form.get("fingerprint")
        if not self._same_token(csrf, session.csrf):
            return self._refuse_form(request, lang, session)
        folder = uploads.folder_of(self.web_dir, session.upload)
        files = uploads.read_manifest(folder) if folder else []
        if not files or not self._same_token(shown, uploads.fingerprint(files)):
            return self._check_page(request, session, lang, status_code=409, notice="nothing_to_send")
        now = self.settings.clock.now()  # the pipeline's time, as the status page shows it
        sent = uploads.send(self.settings, session.country, files)
        self.store.record_sent(session.country, sent, now)
        self.store.hold_upload(session, None)
        uploads.delete(folder)
        zone = self.config.focal_points[session.country].timezone
        return self._status_page(request, session, lang, sent_notice=web_text(
            lang, "sent", sent_at=local_time(now, zone), files=", ".join(name for _, name, _ in sent)))

    # --- status and reports ---------------------------------------------------------------------

    async def status(self, request: Request) -> Response:
        session = self._signed_in(request)
        return self._status_page(request, session, self.language(request, session))

    def _status_page(self, request: Request, session: Session, lang: str, sent_notice: str | None = None) -> Response:
        focal_point = self.config.focal_points[session.country]
        status = read_status(self.settings, session.country)
        now = self.settings.clock.now()
        waiting = [(p, f, at) for p, f, sha256, at in self.store.sent(session.country) if sha256 not in status.received]
        quarters = []
        for period in reversed(watched_periods(focal_point, now)):
            key = str(period)
            state = timeliness(focal_point, period, status.first_accepted.get(key), now)
            quarters.append({
                "period": key, "due": due_date(focal_point, period).isoformat(), "state": state,
                "versions": [(local_time(v.received_at, focal_point.timezone), label(lang, "outcome_" + v.outcome),
                              v.delivery_id) for v in status.versions if v.period == key],
                "waiting": [web_text(lang, "sent_waiting", file=f, sent_at=local_time(at, focal_point.timezone))
                            for p, f, at in waiting if p == key]})
        return self.render(request, "status.html.j2", lang, session, quarters=quarters, sent_notice=sent_notice,
                           first_period=focal_point.first_period, timezone=focal_point.timezone)

    async def report(self, request: Request) -> Response:
        """A version's quality report, found by its number in the country's status file only."""
        session = self._signed_in(request)
        version = read_status(self.settings, session.country).report_of(request.path_params["delivery_id"])
        path = (self.settings.home / version.report_path).resolve() if version else None
        quality = self.settings.quality_dir.resolve() / session.country
        if path is None or not path.is_relative_to(quality) or not path.is_file():
            raise HTTPException(404)
        return HTMLResponse(path.read_text(encoding="utf-8"), headers=HEADERS)


@contextlib.contextmanager
def serving(settings: Settings, **options) -> Iterator[str]:
    """The page for `settings`' home on a free port of 127.0.0.1, in a thread of this process, until the
    block ends; yields its address (make screenshots, the tests)."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings, **options), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the page's server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
