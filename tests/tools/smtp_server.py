"""A real SMTP server for the alerting tests (Debian's python3-aiosmtpd): STARTTLS required, AUTH required after TLS.

    /usr/bin/python3 smtp_server.py PORT CERT.pem KEY.pem USER PASSWORD MAILDIR

Saves every message as MAILDIR/<n>.eml, headed by X-Test-Tls and X-Test-Auth lines that record how the client
connected. Prints "ready" once it listens on 127.0.0.1:PORT; stops when stdin closes.
"""
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, user, password, maildir = sys.argv[1:7]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        name = os.path.join(maildir, f"{time.time_ns()}.eml")
        auth = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else "none"
        header = f"X-Test-Tls: {'yes' if session.ssl else 'no'}\r\nX-Test-Auth: {auth}\r\n"
        with open(name + ".tmp", "wb") as f:
            f.write(header.encode() + envelope.original_content)
        os.rename(name + ".tmp", name)
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
    return AuthResult(success=ok, auth_data=auth_data if ok else None)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(Handler(), hostname="127.0.0.1", port=int(port), tls_context=context, require_starttls=True,
                        authenticator=authenticator, auth_require_tls=True)
controller.start()
print("ready", flush=True)
try:
    sys.stdin.read()
finally:
    controller.stop()
