#!/usr/bin/env python3
"""bench/server_abuse.py — the reference server under abuse (issue 11, "A reference server that
survives abuse"). Every figure is measured in this run and printed against the unloaded baseline
of the same run, never against a number remembered from elsewhere:

  1. connections: valid traffic (wrk: token issuance over keep-alive, registry tags/list over
     keep-alive and over fresh connections) while N idle keep-alive connections, then N slowloris
     connections (header bytes one a second), are held open against *each* listener; the
     attackers reconnect at once whenever the server drops them. Figure: loaded rate / unloaded
     rate (target >= 0.90).
  2. memory: peak RSS (VmHWM) of `regauth serve` after the connection phases (target <= 64 MiB).
  3. pullers: RSS of the server while P clients GET a 64 MiB blob and read nothing (target: flat,
     at most 16 MiB above the RSS before they started).
  4. slow transfer: a 64 MiB layer uploaded (PATCH) and downloaded (GET) at 1 MB/s each, longer
     than every server timeout: both must finish with the right digest.
  5. uploads: user A opens upload sessions until refused and fills each with 64 MiB; then user B
     pushes a blob into another repository: B's push must succeed.
  6. bodies: U clients upload a 64 MiB blob each at once (POST, then PUT ?digest= with the whole
     body on one connection): the registry spills every body over 64 KiB to an anonymous file
     and streams it into the store. Figures: peak RSS above the RSS before (target <= +64 MiB;
     the bodies held in memory were U x 64 MiB before), every push 201 with the digest the
     client computed, and afterwards no file left in the state directory's tmp/ and no
     descriptor of the server still on one.
  7. malformed: M raw requests with broken framing (CL+TE, two Content-Lengths, chunk-size
     overflow, bare LF, obs-fold, NUL, bad versions, ...) on fresh connections, with a liveness
     probe after every batch: each answered 400/413/431/501/505 or closed, never a 5xx, never a
     crash, and every probe answered.

Usage: bench/server_abuse.py [--regauth BIN] [--phases connections,memory,...]
Environment: ABUSE_CONNECTIONS (N, default 1000), ABUSE_DURATION (seconds per wrk run, default 5),
ABUSE_PULLERS (P, default 40), ABUSE_UPLOADERS (U, default 16), ABUSE_SLOW_MIB (default 64), ABUSE_SLOW_RATE (bytes/s, default
1000000), ABUSE_MALFORMED (M, default 10000), KEEP_WORK=1 keeps the work directory.
Exit status: 0 when every figure meets its target, 1 otherwise.
"""
import argparse
import asyncio
import base64
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORLD = os.path.join(ROOT, "cases/worlds/gitlab-default.json")
REPO_A = "acme/private-enabled/abuse-a"
REPO_B = "acme/private-enabled/abuse-b"
USER_A = "dana-pat-read-write-registry"
USER_B = "max-pat-read-write-registry"
MIB = 1 << 20

N_CONN = int(os.environ.get("ABUSE_CONNECTIONS", "1000"))
DURATION = int(os.environ.get("ABUSE_DURATION", "5"))
PULLERS = int(os.environ.get("ABUSE_PULLERS", "40"))
UPLOADERS = int(os.environ.get("ABUSE_UPLOADERS", "16"))
SLOW_MIB = int(os.environ.get("ABUSE_SLOW_MIB", "64"))
SLOW_RATE = int(os.environ.get("ABUSE_SLOW_RATE", "1000000"))
MALFORMED = int(os.environ.get("ABUSE_MALFORMED", "10000"))

results = []  # (measure, baseline, measured, figure, target, ok)


def report(measure, baseline, measured, figure, target, ok):
    results.append((measure, baseline, measured, figure, target, ok))
    print(f"  {measure:<56} {baseline:>12} {measured:>12} {figure:>8}  {target:<10} "
          f"{'ok' if ok else 'FAIL'}", flush=True)


# --- the server ----------------------------------------------------------------------------------

class Server:
    def __init__(self, regauth, work):
        self.regauth = regauth
        self.work = work
        self.log = open(os.path.join(work, "serve.log"), "wb")
        self.proc = subprocess.Popen(
            [regauth, "serve", "--world", WORLD, "--listen", "127.0.0.1:0", "--registry-listen",
             "127.0.0.1:0", "--state-dir", os.path.join(work, "state"), "--log-level", "warn"],
            stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline()
        if not line:
            sys.exit("server_abuse.py: regauth serve did not start; see " + self.log.name)
        self.info = json.loads(line)
        self.realm = self.info["realm"]
        self.registry = self.info["registry_url"]
        self.token_hostport = hostport(self.info["token_url"])
        self.registry_hostport = hostport(self.registry)

    def status(self, key):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        return 0

    def rss(self):
        return self.status("VmRSS")

    def hwm(self):
        return self.status("VmHWM")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def hostport(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port


def credentials(regauth):
    out = subprocess.run([regauth, "credentials", "--world", WORLD], check=True,
                         capture_output=True).stdout
    return {c["id"]: (c["username"], c["secret"]) for c in json.loads(out)}


def basic(cred):
    return "Basic " + base64.b64encode(f"{cred[0]}:{cred[1]}".encode()).decode()


def token(server, cred, scope):
    q = urllib.parse.urlencode({"service": server.info["service"], "scope": scope})
    req = urllib.request.Request(server.realm + "?" + q, headers={"Authorization": basic(cred)})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)["token"]


def call(method, url, tok, body=b"", headers=None, timeout=120):
    h = {"Authorization": "Bearer " + tok, **(headers or {})}
    req = urllib.request.Request(url, data=body if method in ("POST", "PUT", "PATCH") else None,
                                 method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def push_blob(server, repo, tok, data):
    """A monolithic-style push (POST, then PUT ?digest= with the body); returns the status."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    status, headers, _ = call("POST", f"{server.registry}/v2/{repo}/blobs/uploads/", tok)
    if status != 202:
        return status, digest
    url = urllib.parse.urljoin(server.registry, headers["Location"])
    url += ("&" if "?" in url else "?") + "digest=" + urllib.parse.quote(digest)
    status, _, _ = call("PUT", url, tok, data, {"Content-Type": "application/octet-stream"})
    return status, digest


def push_image(server, repo, tok):
    layer = b"regauth abuse layer\n"
    _, layer_digest = push_blob(server, repo, tok, layer)
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": [layer_digest]}}).encode()
    _, config_digest = push_blob(server, repo, tok, config)
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": config_digest, "size": len(config)},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                            "digest": layer_digest, "size": len(layer)}]}
    status, _, _ = call("PUT", f"{server.registry}/v2/{repo}/manifests/v1", tok,
                        json.dumps(manifest).encode(),
                        {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    if status != 201:
        sys.exit(f"server_abuse.py: pushing the bench image answered {status}")


# --- valid traffic (wrk) --------------------------------------------------------------------------

async def wrk(url, header, fresh=False):
    args = ["wrk", "-t1", "-c8", f"-d{DURATION}s", "--timeout", "5s", "-H", header, url]
    if fresh:
        args[1:1] = ["-H", "Connection: close"]
    p = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE,
                                             stderr=asyncio.subprocess.PIPE)
    out, _ = await p.communicate()
    text = out.decode()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    total = int(re.search(r"(\d+) requests in", text).group(1))
    bad = int(m.group(1)) if m else 0
    good = (total - bad) / DURATION  # only successful answers count as traffic served
    return min(rps, good)


async def rates(server, ctx):
    out = {}
    out["token (keep-alive)"] = await wrk(ctx["token_url"], ctx["basic"])
    out["registry tags/list (keep-alive)"] = await wrk(ctx["tags_url"], ctx["bearer"])
    out["registry tags/list (fresh connections)"] = await wrk(ctx["tags_url"], ctx["bearer"],
                                                              fresh=True)
    return out


# --- attackers ----------------------------------------------------------------------------------

class Attack:
    """N connections per target, each re-opened as soon as the server drops it."""

    def __init__(self, targets, n, mode):
        self.targets, self.n, self.mode = targets, n, mode
        self.open = 0
        self.reconnects = 0
        self.stop = asyncio.Event()
        self.tasks = []

    async def one(self, host, port, request):
        while not self.stop.is_set():
            writer = None
            try:
                reader, writer = await asyncio.open_connection(host, port)
                self.open += 1
                try:
                    if self.mode == "idle":
                        writer.write(request)
                        await writer.drain()
                        while not self.stop.is_set():  # read the answer, then sit idle
                            if not await reader.read(65536):
                                break
                    else:  # slowloris: a header section that never ends, one byte a second
                        writer.write(b"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                        await writer.drain()
                        while not self.stop.is_set():
                            try:
                                data = await asyncio.wait_for(reader.read(65536), 1.0)
                                if not data:
                                    break
                            except asyncio.TimeoutError:
                                writer.write(b"a")
                                await writer.drain()
                finally:
                    self.open -= 1
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                if writer is not None:
                    writer.close()
            if not self.stop.is_set():
                self.reconnects += 1
                await asyncio.sleep(0.05)

    async def start(self):
        for (host, port), request in self.targets:
            for i in range(self.n):
                self.tasks.append(asyncio.create_task(self.one(host, port, request)))
                if i % 100 == 99:
                    await asyncio.sleep(0.05)
        for _ in range(100):  # until every connection is up (or 10 s)
            if self.open >= self.n * len(self.targets):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)

    async def finish(self):
        self.stop.set()
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def phase_connections(server, ctx):
    print(f"\n1. valid traffic while {N_CONN} attacker connections are held on each listener "
          f"(wrk -t1 -c8 -d{DURATION}s; figure: loaded / unloaded rate, the unloaded rate being "
          f"the mean of runs just before and just after the attack)", flush=True)
    idle_req_token = (b"GET /jwt/auth HTTP/1.1\r\nHost: x\r\n\r\n")
    idle_req_registry = b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n"
    targets = [(server.token_hostport, idle_req_token),
               (server.registry_hostport, idle_req_registry)]
    for mode in ("idle", "slowloris"):
        before = await rates(server, ctx)
        attack = Attack(targets, N_CONN, mode)
        await attack.start()
        held = attack.open
        loaded = await rates(server, ctx)
        held = min(held, attack.open)
        await attack.finish()
        await asyncio.sleep(1.0)
        after = await rates(server, ctx)
        for name, rate in loaded.items():
            base = (before[name] + after[name]) / 2
            ratio = rate / base if base else 0.0
            report(f"{name}, {mode} x{N_CONN}", f"{base:,.0f}/s", f"{rate:,.0f}/s",
                   f"{ratio:.2f}", ">= 0.90", ratio >= 0.90)
        print(f"     ({mode}: {held} attacker connections open while measured, "
              f"{attack.reconnects} reconnects)", flush=True)
        if not server.alive():
            sys.exit("server_abuse.py: the server died")


async def phase_memory(server, ctx):
    print(f"\n2. peak RSS with {N_CONN} keep-alive connections on each listener", flush=True)
    before = server.rss()
    targets = [(server.token_hostport, b"GET /jwt/auth HTTP/1.1\r\nHost: x\r\n\r\n"),
               (server.registry_hostport, b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n")]
    attack = Attack(targets, N_CONN, "idle")
    await attack.start()
    during = server.rss()
    held = attack.open
    await attack.finish()
    hwm = server.hwm()
    report(f"RSS, {held} keep-alive connections (MiB)", f"{before / MIB:.1f}",
           f"{during / MIB:.1f}", f"{during / before:.2f}", "-", True)
    report("peak RSS VmHWM so far (MiB)", "-", f"{hwm / MIB:.1f}", "-", "<= 64 MiB",
           hwm <= 64 * MIB)


# --- blobs ---------------------------------------------------------------------------------------

def big_blob(mib, seed):
    rnd = random.Random(seed)
    return rnd.randbytes(mib * MIB)


async def phase_pullers(server, ctx):
    print(f"\n3. RSS while {PULLERS} clients GET a 64 MiB blob and read nothing", flush=True)
    data = big_blob(64, 1)
    status, digest = push_blob(server, REPO_A, ctx["tok_a"], data)
    if status != 201:
        report("push of the 64 MiB blob", "-", str(status), "-", "201", False)
        return
    del data
    before = server.rss()
    host, port = server.registry_hostport
    path = f"/v2/{REPO_A}/blobs/{digest}"
    conns = []
    for _ in range(PULLERS):
        r, w = await asyncio.open_connection(host, port, limit=1024)
        w.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ctx['tok_a']}\r\n\r\n"
                .encode())
        await w.drain()
        await r.readline()
        conns.append((r, w))
    peak = before
    for _ in range(50):
        peak = max(peak, server.rss())
        await asyncio.sleep(0.1)
    for r, w in conns:
        w.transport.abort()
    report(f"RSS with {PULLERS} stalled pullers of 64 MiB (MiB)", f"{before / MIB:.1f}",
           f"{peak / MIB:.1f}", f"{peak / before:.2f}", "<= +16 MiB",
           peak - before <= 16 * MIB)


async def slow_upload(server, tok, data, rate):
    status, headers, _ = await asyncio.to_thread(
        call, "POST", f"{server.registry}/v2/{REPO_A}/blobs/uploads/", tok)
    if status != 202:
        return f"POST {status}"
    loc = urllib.parse.urlsplit(urllib.parse.urljoin(server.registry, headers["Location"]))
    host, port = server.registry_hostport
    r, w = await asyncio.open_connection(host, port)
    target = loc.path + ("?" + loc.query if loc.query else "")
    w.write((f"PATCH {target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\n"
             f"Content-Type: application/octet-stream\r\nContent-Length: {len(data)}\r\n\r\n")
            .encode())
    start = time.monotonic()
    step = 64 * 1024
    try:
        for off in range(0, len(data), step):
            w.write(data[off:off + step])
            await w.drain()
            ahead = (off + step) / rate - (time.monotonic() - start)
            if ahead > 0:
                await asyncio.sleep(ahead)
        head = await read_head(r)
    except (ConnectionError, OSError):
        return f"cut after {off / MIB:.1f} MiB ({time.monotonic() - start:.0f} s)"
    finally:
        w.close()
    if head["status"] != 202:
        return f"PATCH {head['status']}"
    # The Location names the Host header sent ("x"): keep its path and query only.
    sent = urllib.parse.urlsplit(head["headers"]["location"])
    loc = server.registry + sent.path + ("?" + sent.query if sent.query else "")
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    loc += ("&" if "?" in loc else "?") + "digest=" + urllib.parse.quote(digest)
    status, _, _ = await asyncio.to_thread(call, "PUT", loc, tok)
    return "ok" if status == 201 else f"PUT {status}"


async def read_head(reader):
    line = await reader.readline()
    parts = line.split(b" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    headers = {}
    while True:
        h = await reader.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    return {"status": status, "headers": headers}


async def slow_download(server, tok, digest, size, rate):
    host, port = server.registry_hostport
    r, w = await asyncio.open_connection(host, port, limit=64 * 1024)
    w.write(f"GET /v2/{REPO_A}/blobs/{digest} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}"
            f"\r\n\r\n".encode())
    head = await read_head(r)
    if head["status"] != 200:
        return f"GET {head['status']}"
    h = hashlib.sha256()
    got = 0
    start = time.monotonic()
    while got < size:
        chunk = await r.read(min(16 * 1024, size - got))
        if not chunk:
            break
        h.update(chunk)
        got += len(chunk)
        ahead = got / rate - (time.monotonic() - start)
        if ahead > 0:
            await asyncio.sleep(ahead)
    w.close()
    if got != size:
        return f"cut after {got / MIB:.1f} MiB ({time.monotonic() - start:.0f} s)"
    return "ok" if "sha256:" + h.hexdigest() == digest else "digest mismatch"


async def phase_slow(server, ctx):
    print(f"\n4. a {SLOW_MIB} MiB layer uploaded and downloaded at {SLOW_RATE / 1e6:g} MB/s",
          flush=True)
    data = big_blob(SLOW_MIB, 2)
    status, digest = push_blob(server, REPO_A, ctx["tok_a"], data)
    start = time.monotonic()
    up, down = await asyncio.gather(
        slow_upload(server, ctx["tok_a"], big_blob(SLOW_MIB, 3), SLOW_RATE),
        slow_download(server, ctx["tok_a"], digest, len(data), SLOW_RATE)
        if status == 201 else asyncio.sleep(0, f"push {status}"))
    took = time.monotonic() - start
    report(f"slow upload ({took:.0f} s)", "-", up, "-", "ok", up == "ok")
    report(f"slow download ({took:.0f} s)", "-", down, "-", "ok", down == "ok")


async def phase_uploads(server, ctx):
    print("\n5. user A holds every upload session it can get, filled; then user B pushes",
          flush=True)
    before = server.rss()
    sessions = []
    chunk = big_blob(64, 4)
    for _ in range(100):
        status, headers, _ = call("POST", f"{server.registry}/v2/{REPO_A}/blobs/uploads/",
                                  ctx["tok_a"])
        if status != 202:
            break
        sessions.append(urllib.parse.urljoin(server.registry, headers["Location"]))
    filled = 0
    for loc in sessions:
        status, _, _ = call("PATCH", loc, ctx["tok_a"], chunk,
                            {"Content-Type": "application/octet-stream"})
        if status != 202:
            break
        filled += 1
    rss = server.rss()
    status, _ = push_blob(server, REPO_B, ctx["tok_b"], b"user B's layer\n")
    report(f"A: sessions opened / filled with 64 MiB", "-", f"{len(sessions)}/{filled}", "-",
           "-", True)
    report("RSS while A's uploads are open (MiB)", f"{before / MIB:.1f}", f"{rss / MIB:.1f}",
           f"{rss / before:.2f}", "<= +16 MiB", rss - before <= 16 * MIB)
    report("B's push while A holds its uploads (status)", "-", str(status), "-", "201",
           status == 201)


# --- concurrent large uploads ------------------------------------------------------------------

def spill_leftovers(server):
    """Names in the state directory's tmp/ and the server's descriptors on (deleted) files there."""
    tmp = os.path.join(server.work, "state", "registry", "tmp")
    names = os.listdir(tmp) if os.path.isdir(tmp) else []
    held = 0
    fd_dir = f"/proc/{server.proc.pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith(os.path.realpath(tmp) + "/"):
            held += 1
    return len(names), held


async def big_put(server, tok, seed, mib):
    """POST a session, then PUT ?digest= with a `mib` MiB body streamed from a 1 MiB block (the
    client never holds the blob); returns (status, digest sent, Docker-Content-Digest)."""
    rnd = random.Random(seed)
    block = bytearray(rnd.randbytes(MIB))
    h = hashlib.sha256()
    for i in range(mib):
        block[:16] = f"{seed:08x}{i:08x}".encode()
        h.update(block)
    digest = "sha256:" + h.hexdigest()
    status, headers, _ = await asyncio.to_thread(
        call, "POST", f"{server.registry}/v2/{REPO_A}/blobs/uploads/", tok)
    if status != 202:
        return f"POST {status}", digest, ""
    loc = urllib.parse.urlsplit(urllib.parse.urljoin(server.registry, headers["Location"]))
    target = loc.path + "?" + (loc.query + "&" if loc.query else "") + "digest=" + \
        urllib.parse.quote(digest)
    host, port = server.registry_hostport
    r, w = await asyncio.open_connection(host, port)
    w.write((f"PUT {target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\n"
             f"Content-Type: application/octet-stream\r\nContent-Length: {mib * MIB}\r\n\r\n")
            .encode())
    try:
        for i in range(mib):
            block[:16] = f"{seed:08x}{i:08x}".encode()
            w.write(bytes(block))
            await w.drain()
        head = await read_head(r)
    except (ConnectionError, OSError) as e:
        return f"cut ({e.__class__.__name__})", digest, ""
    finally:
        w.close()
    return str(head["status"]), digest, head["headers"].get("docker-content-digest", "")


async def phase_bodies(server, ctx):
    print(f"\n6. {UPLOADERS} concurrent uploads of a 64 MiB blob (PUT with the whole body)",
          flush=True)
    before = server.rss()
    peak = before
    done = False

    async def sample():
        nonlocal peak
        while not done:
            peak = max(peak, server.rss())
            await asyncio.sleep(0.05)

    sampler = asyncio.create_task(sample())
    start = time.monotonic()
    outcomes = await asyncio.gather(*(big_put(server, ctx["tok_a"], 1000 + i, 64)
                                      for i in range(UPLOADERS)))
    took = time.monotonic() - start
    done = True
    await sampler
    ok = sum(1 for status, sent, got in outcomes if status == "201" and sent == got)
    verified = 0
    for _, sent, _ in outcomes:
        status, headers, _ = await asyncio.to_thread(
            call, "HEAD", f"{server.registry}/v2/{REPO_A}/blobs/{sent}", ctx["tok_a"])
        if status == 200 and headers.get("Content-Length") == str(64 * MIB):
            verified += 1
    names, held = await asyncio.to_thread(spill_leftovers, server)
    report(f"pushes 201 with the client's digest ({took:.0f} s)", "-",
           f"{ok}/{UPLOADERS}", "-", f"{UPLOADERS}/{UPLOADERS}", ok == UPLOADERS)
    report("blobs readable afterwards (HEAD 200, 64 MiB)", "-", f"{verified}/{UPLOADERS}", "-",
           f"{UPLOADERS}/{UPLOADERS}", verified == UPLOADERS)
    report(f"RSS during {UPLOADERS} x 64 MiB uploads (MiB)", f"{before / MIB:.1f}",
           f"{peak / MIB:.1f}", f"+{(peak - before) / MIB:.0f}", "<= +64 MiB",
           peak - before <= 64 * MIB)
    report("spill files left: names in tmp/ / descriptors held", "-", f"{names}/{held}", "-",
           "0/0", names == 0 and held == 0)


# --- malformed requests --------------------------------------------------------------------------

def malformed_requests(rnd, host_header, count):
    """Yields (label, bytes, strict) — strict: must be rejected (400-class or closed)."""
    valid = f"GET /v2/ HTTP/1.1\r\nHost: {host_header}\r\n"
    shapes = [
        ("cl+te", lambda: "POST /v2/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("te+cl", lambda: "POST /v2/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                          "Content-Length: 5\r\n\r\n0\r\n\r\n"),
        ("two content-lengths", lambda: "POST /v2/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                                        f"Content-Length: {rnd.randint(2, 9)}\r\n\r\nabcdefghi"),
        ("content-length list", lambda: "POST /v2/ HTTP/1.1\r\nHost: x\r\n"
                                        "Content-Length: 3, 4\r\n\r\nabcd"),
        ("chunk-size overflow", lambda: "POST /v2/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                                        "chunked\r\n\r\n" + "f" * rnd.randint(17, 40) +
                                        "\r\nab\r\n0\r\n\r\n"),
        ("chunk-size junk", lambda: "POST /v2/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                                    "chunked\r\n\r\n" + rnd.choice(["-1", "0x5", "g", " 5", "5 5"])
                                    + "\r\nhello\r\n0\r\n\r\n"),
        ("te gzip", lambda: "POST /v2/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                            + rnd.choice(["gzip", "chunked, gzip", "xchunked", "chunked, chunked"])
                            + "\r\n\r\n0\r\n\r\n"),
        ("te in http/1.0", lambda: "POST /v2/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
                                   "0\r\n\r\n"),
        ("bare lf", lambda: valid.replace("\r\n", "\n") + "\n"),
        ("obs-fold", lambda: valid + "X-Folded: a\r\n" + rnd.choice([" ", "\t"]) + "b\r\n\r\n"),
        ("space before colon", lambda: valid + "X-A : b\r\n\r\n"),
        ("nul in value", lambda: valid + "X-A: a\x00b\r\n\r\n"),
        ("nul in target", lambda: "GET /v2/\x00 HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("control in method", lambda: "G\x01T /v2/ HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("missing host", lambda: "GET /v2/ HTTP/1.1\r\n\r\n"),
        ("two hosts", lambda: valid + "Host: y\r\n\r\n"),
        ("bad version", lambda: "GET /v2/ " + rnd.choice(["HTTP/1.12", "HTTP/1", "http/1.1",
                                                          "HTTP/1.1x", "HTTPS/1.1", ""])
                                + "\r\nHost: x\r\n\r\n"),
        ("extra spaces", lambda: "GET  /v2/  HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("bad field name", lambda: valid + rnd.choice(["X A", "X(A)", "", "X\"A"]) + ": b\r\n\r\n"),
        ("header too large", lambda: valid + "X-Big: " + "a" * rnd.randint(17000, 40000)
                                     + "\r\n\r\n"),
        ("bad content-length", lambda: "POST /v2/ HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                       + rnd.choice(["-1", "+5", "5x", "0x10", " ",
                                                     "99999999999999999999999"]) + "\r\n\r\n"),
        ("body too large", lambda: "POST /jwt/auth HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                   + str(rnd.randint(70000, 1 << 40)) + "\r\n\r\nabc"),
        ("cr alone", lambda: "GET /v2/ HTTP/1.1\rHost: x\r\r\n\r\n"),
        ("no request line", lambda: "\r\n\r\n\r\n" + rnd.choice(["", "Host: x\r\n\r\n"])),
    ]
    for i in range(count):
        label, make = shapes[i % len(shapes)]
        yield label, make().encode("latin-1"), True


async def send_raw(host, port, data, timeout=20.0):
    """Returns the status of the first answer, or 'closed' (no answer), or 'hang'."""
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, asyncio.TimeoutError):
        return "connect failed"
    try:
        w.write(data)
        await w.drain()
        if w.can_write_eof():
            w.write_eof()
        line = await asyncio.wait_for(r.readline(), timeout)
        if not line:
            return "closed"
        parts = line.split(b" ")
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else "garbage"
    except (ConnectionError, OSError):
        return "closed"
    except asyncio.TimeoutError:
        return "hang"
    finally:
        w.transport.abort()


async def phase_malformed(server, ctx):
    print(f"\n7. {MALFORMED} malformed requests (half to each listener), a liveness probe after "
          "every 100", flush=True)
    rnd = random.Random(11)
    ok_status = {400, 413, 431, 501, 505, "closed"}
    tally = {}
    bad = []
    probes_failed = 0
    sem = asyncio.Semaphore(32)
    listeners = [server.token_hostport, server.registry_hostport]
    reqs = list(malformed_requests(rnd, "x", MALFORMED))

    async def one(i, label, data):
        async with sem:
            host, port = listeners[i % 2]
            out = await send_raw(host, port, data)
        tally[out] = tally.get(out, 0) + 1
        if out not in ok_status:
            bad.append((label, out))

    start = time.monotonic()
    for batch in range(0, len(reqs), 100):
        await asyncio.gather(*(one(batch + j, label, data)
                               for j, (label, data, _) in enumerate(reqs[batch:batch + 100])))
        for host, port in listeners:
            if await send_raw(host, port, b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n") \
                    in ("closed", "hang", "connect failed", "garbage"):
                probes_failed += 1
        if not server.alive():
            break
    took = time.monotonic() - start
    shown = ", ".join(f"{k}: {v}" for k, v in sorted(tally.items(), key=lambda kv: str(kv[0])))
    print(f"     answers ({took:.0f} s): {shown}", flush=True)
    if bad:
        seen = sorted({f"{label} -> {out}" for label, out in bad})
        print("     not rejected: " + "; ".join(seen[:20]), flush=True)
    report("malformed requests rejected (400-class or closed)", str(MALFORMED),
           str(MALFORMED - len(bad)), f"{(MALFORMED - len(bad)) / MALFORMED:.2f}", "1.00",
           not bad)
    report("liveness probes unanswered", "-", str(probes_failed), "-", "0", probes_failed == 0)
    report("server alive afterwards", "-", "yes" if server.alive() else "NO", "-", "yes",
           server.alive())


PHASES = {"connections": phase_connections, "memory": phase_memory, "pullers": phase_pullers,
          "slow": phase_slow, "uploads": phase_uploads, "bodies": phase_bodies,
          "malformed": phase_malformed}


async def main_async(server, ctx, phases):
    for name in phases:
        await PHASES[name](server, ctx)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--regauth", default=os.environ.get("REGAUTH", ""))
    ap.add_argument("--phases", default=",".join(PHASES))
    args = ap.parse_args()
    phases = [p for p in args.phases.split(",") if p]
    for p in phases:
        if p not in PHASES:
            sys.exit(f"server_abuse.py: unknown phase {p} (known: {', '.join(PHASES)})")
    if not args.regauth:
        subprocess.run(["cmake", "--preset", "bench"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", "--preset", "bench", "--target", "regauth"], cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)
        args.regauth = os.path.join(ROOT, "build/bench/regauth")
    if shutil.which("wrk") is None and "connections" in phases:
        sys.exit("server_abuse.py: wrk is required (Debian package wrk)")
    work = tempfile.mkdtemp(prefix="regauth-abuse-")
    server = Server(args.regauth, work)
    try:
        creds = credentials(args.regauth)
        ctx = {
            "tok_a": token(server, creds[USER_A], f"repository:{REPO_A}:pull,push"),
            "tok_b": token(server, creds[USER_B], f"repository:{REPO_B}:pull,push"),
        }
        push_image(server, REPO_A, ctx["tok_a"])
        scope = urllib.parse.quote(f"repository:{REPO_A}:pull")
        ctx["token_url"] = (f"{server.realm}?service={server.info['service']}&scope={scope}")
        ctx["basic"] = "Authorization: " + basic(creds["dana-pat-read-registry"])
        ctx["tags_url"] = f"{server.registry}/v2/{REPO_A}/tags/list"
        ctx["bearer"] = "Authorization: Bearer " + ctx["tok_a"]
        print(f"reference server under abuse (loopback, {os.cpu_count()} cores; "
              f"pid {server.proc.pid})")
        print(f"  {'measure':<56} {'baseline':>12} {'measured':>12} {'figure':>8}  "
              f"{'target':<10} verdict")
        asyncio.run(main_async(server, ctx, phases))
    finally:
        server.stop()
        if os.environ.get("KEEP_WORK"):
            print("work dir: " + work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    failed = [r for r in results if not r[5]]
    print(f"\n{len(results) - len(failed)} of {len(results)} figures meet their target")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
