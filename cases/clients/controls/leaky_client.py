#!/usr/bin/env python3
"""leaky_client.py — a deliberately unsafe registry client: the negative control of
`regauth clients` (README "Client conformance"). Never use it against a real registry.

It does everything the hostile scenarios look for:
  - follows every redirect with its Authorization header (urllib copies request headers to the
    redirected request, whatever the new origin: curl CVE-2018-1000007 / CVE-2022-27774);
  - answers any 401 by sending the Basic password to whatever realm the challenge names, also a
    challenge from an origin it was redirected to (ContainerDrip, containerd CVE-2020-15157);
  - takes any realm: http behind https, userinfo (the host after '@' is used), file:// (urllib
    reads local files), a relative one (resolved against the registry).

Usage: leaky_client.py login|pull REGISTRY_URL REPOSITORY TAG USERNAME   (password on stdin)
Exit 0 on success, 1 on failure.
"""

import base64
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request


def parse_challenge(header):
    params = dict(re.findall(r'(\w+)\s*=\s*"?([^",]*)"?', header or ""))
    return {k.lower(): v for k, v in params.items()}


def main():
    op, registry, repo, tag, user = sys.argv[1:6]
    password = sys.stdin.readline().rstrip("\n")
    basic = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def open_url(url, auth=None, accept=None):
        parts = urllib.parse.urlsplit(url)
        if parts.username is not None:  # drop the userinfo, keep the host after '@'
            netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
            url = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
        req = urllib.request.Request(url)
        if auth:
            req.add_header("Authorization", auth)
        if accept:
            req.add_header("Accept", accept)
        return urllib.request.urlopen(req, timeout=15)

    def token(challenge):
        realm = urllib.parse.urljoin(registry + "/", challenge.get("realm", ""))
        query = {"service": challenge.get("service", "")}
        if challenge.get("scope"):
            query["scope"] = challenge["scope"]
        if realm.startswith(("http://", "https://")):
            realm += "?" + urllib.parse.urlencode(query)
        with open_url(realm, basic) as res:
            body = json.load(res)
        return body.get("token") or body.get("access_token")

    def get(url, accept=None):
        try:
            return open_url(url, None, accept).read()
        except urllib.error.HTTPError as e:
            if e.code != 401:
                raise
            # Whoever challenges gets the password, through whatever realm it names.
            bearer = "Bearer " + token(parse_challenge(e.headers.get("WWW-Authenticate")))
        return open_url(url, bearer, accept).read()

    if op == "login":
        get(registry + "/v2/")
        print("Login Succeeded")
        return 0
    manifest = json.loads(get(f"{registry}/v2/{repo}/manifests/{tag}",
                              "application/vnd.oci.image.manifest.v1+json"))
    for layer in [manifest.get("config", {})] + manifest.get("layers", []):
        get(f"{registry}/v2/{repo}/blobs/{layer['digest']}")
    print("pull succeeded")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a control reports and fails; it never hangs
        print(f"leaky_client: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
