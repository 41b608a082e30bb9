"""A logged-in admin over real HTTP (no test client): what the gunicorn tests drive the site with."""

from __future__ import annotations

import http.client
import http.cookies
import json
import re
import secrets
import urllib.parse
from pathlib import Path


class AdminClient:
    """Cookies, CSRF and multipart uploads over ``http.client``; redirects are returned, never followed."""

    def __init__(self, base_url: str) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None, timeout: float = 60
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            headers = {**(headers or {}), "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in http.cookies.SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, dict(response.headers.items()), data
        finally:
            connection.close()

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        return self.request("GET", path)

    def json(self, path: str) -> dict:
        status, _, data = self.get(path)
        assert status == 200, (status, data[:500])
        return json.loads(data)

    def csrf(self, path: str) -> str:
        status, _, page = self.get(path)
        assert status == 200, (path, status)
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert found, f"no CSRF token on {path}"
        return found.group(1).decode()

    def login(self, username: str, password: str) -> None:
        token = self.csrf("/admin/login/")
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/admin/"}
        ).encode()
        status, _, _ = self.request("POST", "/admin/login/", body, {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 302 and "sessionid" in self.cookies, "admin login failed"

    def post_multipart(self, path: str, fields: dict[str, str], file_field: str, file: Path) -> tuple[int, dict[str, str], bytes]:
        boundary = "----upload" + secrets.token_hex(12)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode() for name, value in fields.items()
        ]
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{file.name}"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        body = b"".join(parts) + head + file.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        return self.request(
            "POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(len(body))}
        )
