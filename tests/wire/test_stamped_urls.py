"""Content-stamped URLs (issue 13): the page names every file it loads by a
URL carrying a hash of its content, served ``immutable``; the page itself is
revalidated, so a new release's URLs arrive with it."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from email.message import Message

STAMPED = re.compile(r"^/(vendor/[a-z.]+|static|py/flack)/[0-9a-f]{16}/")
ATTRIBUTE = re.compile(r'\b(?:src|href|config)="(/[^"]*)"')


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, b""


def page_urls(server_url: str) -> list[str]:
    _, _, body = get(server_url + "/")
    return ATTRIBUTE.findall(body.decode())


def config_of(server_url: str) -> tuple[str, dict[str, object]]:
    # Named twice: the script's config, and its preload hint.
    (url,) = {u for u in page_urls(server_url) if u.endswith("/pyscript.json")}
    status, _, body = get(server_url + url)
    assert status == 200
    return url, json.loads(body)


def test_the_page_names_only_stamped_urls(server_url: str) -> None:
    urls = page_urls(server_url)
    assert len(urls) >= 5  # two stylesheets, two scripts, main.py and its config
    assert all(STAMPED.match(url) for url in urls), urls
    _, config = config_of(server_url)
    assert STAMPED.match(str(config["interpreter"])), config["interpreter"]
    files = config["files"]
    assert isinstance(files, dict) and files
    assert all(STAMPED.match(url) for url in files), files


def test_stamped_files_are_immutable_and_the_same_bytes(server_url: str) -> None:
    _, config = config_of(server_url)
    interpreter = str(config["interpreter"])
    files = config["files"]
    assert isinstance(files, dict)
    wasm = interpreter.replace("pyodide.mjs", "pyodide.asm.wasm")
    for url in [*page_urls(server_url), interpreter, wasm, *files]:
        if url.endswith("pyscript.json"):
            continue  # its stamped copy differs from the file on disk (checked below)
        status, headers, body = get(server_url + url)
        assert status == 200 and headers["Cache-Control"] == "public, max-age=31536000, immutable", url
        plain = STAMPED.sub(lambda m: f"/{m.group(1)}/", url)
        plain_status, plain_headers, plain_body = get(server_url + plain)
        # The plain URL still works (scripts and bookmarks that name it), revalidated.
        assert plain_status == 200 and plain_headers["Cache-Control"] == "no-cache", plain
        assert body == plain_body, url


def test_the_config_under_its_stamp_is_immutable_and_the_page_is_not(server_url: str) -> None:
    url, _ = config_of(server_url)
    _, headers, _ = get(server_url + url)
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    status, headers, _ = get(server_url + "/")
    assert status == 200 and headers["Cache-Control"] == "no-cache"
    # An unchanged page costs a 304, with the page's policy still on it.
    status, again, body = get(server_url + "/", {"If-None-Match": headers["ETag"]})
    assert status == 304 and body == b""
    assert again["Content-Security-Policy"] == headers["Content-Security-Policy"]
    assert again["X-Frame-Options"] == "DENY"


def test_a_stale_or_made_up_stamp_is_not_found(server_url: str) -> None:
    # Never the current bytes under another release's name, nor the reverse.
    for url in page_urls(server_url):
        stale = re.sub(r"/[0-9a-f]{16}/", "/0123456789abcdef/", url, count=1)
        assert get(server_url + stale)[0] == 404, stale


def test_each_file_says_one_thing_about_caching(server_url: str) -> None:
    # Two Cache-Control headers (ours and the framework's default) would
    # leave the browser to pick; it picked the stricter no-cache.
    (url,) = [u for u in page_urls(server_url) if u.endswith("/core.js")]
    for path in (url, "/vendor/pyscript/core.js"):
        _, headers, _ = get(server_url + path)
        assert len(headers.get_all("Cache-Control") or []) == 1, path
