#!/usr/bin/python3
"""An HTTP proxy on 127.0.0.1 that forwards S3 requests to an upstream
gateway but fails a share of them, to test the client's retries:

  503 SlowDown (S3 error XML), an empty reply (connection closed before any
  answer), a connection reset, or forwarding and then dropping the answer
  (the request took effect; the client must retry safely).

Bounded: at most --max-faults faults, and the proxy exits by itself after
--lifetime seconds. Prints "PORT <n>" once listening; on exit writes counters
as JSON to --stats (if given).

usage: faulty_proxy.py --upstream http://127.0.0.1:PORT [--fault-rate 0.2]
"""
import argparse
import http.client
import json
import random
import signal
import socket
import struct
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--upstream", required=True)
parser.add_argument("--fault-rate", type=float, default=0.2)
parser.add_argument("--max-faults", type=int, default=100000)
parser.add_argument("--lifetime", type=float, default=600)
parser.add_argument("--seed", type=int, default=None)
parser.add_argument("--stats", default=None)
args = parser.parse_args()

up = urllib.parse.urlsplit(args.upstream)
rng = random.Random(args.seed)
lock = threading.Lock()
stats = {"requests": 0, "forwarded": 0, "slowdown": 0, "empty_reply": 0, "reset": 0, "dropped_answer": 0}
KINDS = ["slowdown", "empty_reply", "reset", "dropped_answer"]

SLOWDOWN = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
            b"<Message>Please reduce your request rate.</Message></Error>")


def pick_fault():
    with lock:
        stats["requests"] += 1
        faults = sum(stats[k] for k in KINDS)
        if faults >= args.max_faults or rng.random() >= args.fault_rate:
            return None
        kind = rng.choice(KINDS)
        stats[kind] += 1
        return kind


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like S3

    def log_message(self, *a):
        pass

    def reset(self):
        # SO_LINGER 0: close sends RST instead of FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fault = pick_fault()
        if fault == "slowdown":
            self.send_response(503)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(SLOWDOWN)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(SLOWDOWN)
            return
        if fault == "empty_reply":
            self.close_connection = True
            return
        if fault == "reset":
            return self.reset()
        # Forward with the same Host header: it is part of the signature.
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "proxy-connection")}
        conn.request(self.command, self.path, body=body if (body or self.command in ("PUT", "POST")) else None,
                     headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if fault == "dropped_answer":
            return self.reset()
        with lock:
            stats["forwarded"] += 1
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(resp.getheader("Content-Length", len(data)) if self.command == "HEAD" else len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def stop(signum, frame):
    raise SystemExit(0)  # runs the finally below, which writes the stats


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
server.daemon_threads = True
stopper = threading.Timer(args.lifetime, server.shutdown)
stopper.daemon = True  # a signal must not wait for it
stopper.start()
print("PORT %d" % server.server_address[1], flush=True)
try:
    server.serve_forever()
finally:
    if args.stats:
        with lock:
            with open(args.stats, "w") as f:
                json.dump(stats, f)
