#!/usr/bin/env python3
"""crash_recovery_test.py — no acknowledged push is lost when `regauth serve` is SIGKILLed
(issue 11, "no lost data"; ctest label `integration`).

skopeo pushes images (gzip layers of 0.1–3 MiB, so kills land inside uploads) into the
reference registry of `regauth serve --state-dir S` while the server is killed with SIGKILL at
random points and restarted on the same state directory. Then, on a clean restart:

  - every push skopeo acknowledged (exit 0, `--digestfile` written) is intact: its tag resolves to
    the digest skopeo reported, the manifest's bytes hash to that digest, and every blob it
    references answers 200 with bytes that hash to the descriptor's digest and size;
  - no half-written blob is visible: every file under the store's blobs/ hashes to its name, and
    tmp/ holds nothing;
  - the signing key (signing.key.pem) and the kid the server reports survive every kill;
  - a blob truncated to 0 bytes behind the server's back (what a power loss leaves when a rename
    reached the disk before the data) is not served as 200 after a restart, and pushing the same
    content again repairs it.

Usage: crash_recovery_test.py REGAUTH_BINARY SOURCE_DIR [--seconds N]
Skips (exit 77) without skopeo, unless CI=true, where a missing skopeo fails (exit 1).
"""
import base64
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

SKIP = 77
REPO = "acme/private-enabled/crash"
CREDENTIAL = "dana-pat-read-write-registry"


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write_layout(path, seed):
    """An OCI image layout with 1–3 gzip layers of random content; returns nothing."""
    rnd = random.Random(seed)
    os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)

    def put(data):
        digest = sha256(data)
        with open(os.path.join(path, "blobs", "sha256", digest[7:]), "wb") as f:
            f.write(data)
        return digest

    layers, diff_ids = [], []
    for i in range(rnd.randint(1, 3)):
        content = rnd.randbytes(rnd.randint(100 << 10, 3 << 20))
        tar_bytes = io.BytesIO()
        with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            info = tarfile.TarInfo(f"file-{seed}-{i}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        raw = tar_bytes.getvalue()
        compressed = gzip.compress(raw, compresslevel=1, mtime=0)
        diff_ids.append(sha256(raw))
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       "digest": put(compressed), "size": len(compressed)})
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": put(config), "size": len(config)},
        "layers": layers}).encode()
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put(manifest),
        "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}
    with open(os.path.join(path, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(path, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


class Server:
    """`regauth serve` on fixed ports and one state directory, restartable."""

    def __init__(self, regauth, world, state, log_path):
        self.regauth, self.world, self.state = regauth, world, state
        self.token_port, self.registry_port = free_port(), free_port()
        self.log = open(log_path, "ab")
        self.proc = None
        self.info = None

    def start(self):
        self.proc = subprocess.Popen(
            [self.regauth, "serve", "--world", self.world,
             "--listen", f"127.0.0.1:{self.token_port}",
             "--registry-listen", f"127.0.0.1:{self.registry_port}",
             "--state-dir", self.state, "--log-level", "warn"],
            stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            fail(f"regauth serve did not start (exit {self.proc.returncode}); see {self.log.name}")
        self.info = json.loads(line)
        return self.info

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    regauth, source = sys.argv[1], sys.argv[2]
    seconds = 40
    if "--seconds" in sys.argv:
        seconds = int(sys.argv[sys.argv.index("--seconds") + 1])
    skopeo = shutil.which("skopeo")
    if skopeo is None:
        print("skopeo is not installed (Debian package skopeo)")
        return 1 if os.environ.get("CI") == "true" else SKIP
    world = os.path.join(source, "cases/worlds/gitlab-default.json")
    work = tempfile.mkdtemp(prefix="regauth-crash-")
    try:
        return run(regauth, skopeo, world, work, seconds)
    finally:
        if os.environ.get("KEEP_WORK"):
            print("work dir: " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(regauth, skopeo, world, work, seconds):
    creds = {c["id"]: c for c in json.loads(subprocess.run(
        [regauth, "credentials", "--world", world], check=True, capture_output=True).stdout)}
    user, secret = creds[CREDENTIAL]["username"], creds[CREDENTIAL]["secret"]
    state = os.path.join(work, "state")
    server = Server(regauth, world, state, os.path.join(work, "serve.log"))
    registry_host = f"127.0.0.1:{server.registry_port}"
    authfile = os.path.join(work, "auth.json")
    with open(authfile, "w") as f:
        auth = base64.b64encode(f"{user}:{secret}".encode()).decode()
        json.dump({"auths": {registry_host: {"auth": auth}}}, f)
    os.chmod(authfile, 0o600)
    env = {k: v for k, v in os.environ.items()
           if not k.upper().startswith(("REGISTRY_", "DOCKER_", "CONTAINERS_"))
           and "proxy" not in k.lower()}

    first = server.start()
    with open(os.path.join(state, "signing.key.pem"), "rb") as f:
        signing_key = f.read()
    kid = first["kid"]

    acknowledged = []  # (repository, tag, digest)
    lock = threading.Lock()
    counter = [0]
    rnd = random.Random(int(os.environ.get("CRASH_SEED", "7")))
    layouts = []
    for i in range(6):
        layout = os.path.join(work, f"layout-{i}")
        write_layout(layout, i)
        layouts.append(layout)

    def pusher(stop):
        while not stop.is_set():
            with lock:
                counter[0] += 1
                n = counter[0]
            tag = f"t{n}"
            digestfile = os.path.join(work, f"digest-{n}")
            layout = layouts[n % len(layouts)]
            # A fresh HOME per push: no blob-info cache, so skopeo uploads every blob into the
            # new repository instead of mounting it from one where it saw it before.
            home = os.path.join(work, "home", str(n))
            os.makedirs(home)
            r = subprocess.run(
                [skopeo, "--insecure-policy", "copy", "--retry-times", "0",
                 "--dest-tls-verify=false", "--dest-authfile", authfile,
                 "--digestfile", digestfile, f"oci:{layout}:v1",
                 f"docker://{registry_host}/{REPO}-{n}:{tag}"],
                env={**env, "HOME": home}, capture_output=True, timeout=120)
            shutil.rmtree(home, ignore_errors=True)
            if r.returncode == 0:
                with open(digestfile) as f:
                    digest = f.read().strip()
                with lock:
                    acknowledged.append((f"{REPO}-{n}", tag, digest))
            else:
                time.sleep(0.05)  # the server is down: try again shortly

    kills = 0
    deadline = time.monotonic() + seconds
    stop = threading.Event()
    threads = [threading.Thread(target=pusher, args=(stop,)) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        while time.monotonic() < deadline:
            time.sleep(rnd.uniform(0.3, 2.5))
            server.kill()
            kills += 1
            info = server.start()
            with open(os.path.join(state, "signing.key.pem"), "rb") as f:
                if f.read() != signing_key:
                    fail(f"the signing key changed after kill {kills}")
            if info["kid"] != kid:
                fail(f"the kid changed after kill {kills}: {kid} -> {info['kid']}")
    finally:
        stop.set()
        for t in threads:
            t.join()
    server.kill()
    server.start()
    print(f"{kills} SIGKILLs, {counter[0]} pushes started, {len(acknowledged)} acknowledged",
          flush=True)
    if kills < 5 or len(acknowledged) < 5:
        fail("too few kills or acknowledged pushes to say anything")

    accept = ("application/vnd.oci.image.manifest.v1+json,"
              "application/vnd.docker.distribution.manifest.v2+json")
    checked_blobs = set()
    for repo, tag, digest in acknowledged:
        token = get_token(server, user, secret, f"repository:{repo}:pull")
        base = f"http://{registry_host}/v2/{repo}"
        status, _, body = get(f"{base}/manifests/{tag}", token, accept)
        if status != 200:
            fail(f"acknowledged push {tag} ({digest}): GET by tag answered {status}")
        if sha256(body) != digest:
            fail(f"acknowledged push {tag}: the tag serves {sha256(body)}, pushed {digest}")
        manifest = json.loads(body)
        for d in [manifest["config"]] + manifest["layers"]:
            status, _, blob = get(f"{base}/blobs/{d['digest']}", token)
            if status != 200 or sha256(blob) != d["digest"] or len(blob) != d["size"]:
                fail(f"acknowledged push {tag}: blob {d['digest']} answered {status} with "
                     f"{len(blob)} bytes hashing to {sha256(blob)}")
            checked_blobs.add(d["digest"])
    store = os.path.join(state, "registry")
    blob_files = 0
    for alg in os.listdir(os.path.join(store, "blobs")):
        for name in os.listdir(os.path.join(store, "blobs", alg)):
            blob_files += 1
            with open(os.path.join(store, "blobs", alg, name), "rb") as f:
                if hashlib.new(alg, f.read()).hexdigest() != name:
                    fail(f"half-written blob on disk: blobs/{alg}/{name}")
    leftovers = os.listdir(os.path.join(store, "tmp")) if os.path.isdir(
        os.path.join(store, "tmp")) else []
    if leftovers:
        fail(f"tmp/ holds {len(leftovers)} files after a clean start")
    print(f"{len(acknowledged)} acknowledged pushes intact ({len(checked_blobs)} blobs); "
          f"{blob_files} blob files verified", flush=True)

    # A blob truncated behind the server's back (power loss after the rename reached the disk).
    victim_repo, _, _ = acknowledged[0]
    base = f"http://{registry_host}/v2/{victim_repo}"
    token = get_token(server, user, secret, f"repository:{victim_repo}:pull")
    victim = json.loads(get(f"{base}/manifests/{acknowledged[0][1]}", token, accept)[2])[
        "layers"][0]["digest"]
    with open(os.path.join(store, "blobs", "sha256", victim[7:]), "wb"):
        pass
    server.stop()
    server.start()
    token = get_token(server, user, secret, f"repository:{victim_repo}:pull,push")
    status, _, blob = get(f"{base}/blobs/{victim}", token)
    if status == 200:
        fail(f"a truncated blob was served as 200 ({len(blob)} bytes)")
    head_status, _, _ = get(f"{base}/blobs/{victim}", token, method="HEAD")
    if head_status == 200:
        fail("a truncated blob answered HEAD 200, so clients would skip re-pushing it")
    content = find_layout_blob(work, victim)
    status, headers, _ = request("POST", f"{base}/blobs/uploads/", token)
    if status != 202:
        fail(f"re-push: POST answered {status}")
    location = urllib.parse.urljoin(f"http://{registry_host}", headers["Location"])
    location += ("&" if "?" in location else "?") + "digest=" + urllib.parse.quote(victim)
    status, _, _ = request("PUT", location, token, content,
                           {"Content-Type": "application/octet-stream"})
    if status != 201:
        fail(f"re-push of the truncated blob answered {status}")
    status, _, blob = get(f"{base}/blobs/{victim}", token)
    if status != 200 or sha256(blob) != victim:
        fail(f"the re-pushed blob answers {status} with {len(blob)} bytes")
    print(f"truncated blob {victim[:19]}… refused ({head_status}) and repaired by a re-push",
          flush=True)
    server.stop()
    print("PASS")
    return 0


def find_layout_blob(work, digest):
    for entry in os.listdir(work):
        path = os.path.join(work, entry, "blobs", "sha256", digest[7:])
        if entry.startswith("layout-") and os.path.exists(path):
            with open(path, "rb") as f:
                return f.read()
    fail(f"blob {digest} is in no layout")


def get_token(server, user, secret, scope):
    q = urllib.parse.urlencode({"service": server.info["service"], "scope": scope})
    auth = base64.b64encode(f"{user}:{secret}".encode()).decode()
    status, _, body = request("GET", server.info["realm"] + "?" + q, None,
                              headers={"Authorization": "Basic " + auth})
    if status != 200:
        fail(f"token request answered {status}")
    return json.loads(body)["token"]


def request(method, url, token, body=None, headers=None):
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=body, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def get(url, token, accept=None, method="GET"):
    return request(method, url, token, headers={"Accept": accept} if accept else None)


if __name__ == "__main__":
    sys.exit(main())
