#!/usr/bin/python3
"""A tiny EC2 instance-metadata service (IMDSv2 only) on 127.0.0.1 for the
credential-chain tests. Prints "PORT <n>" once listening; exits by itself
after --lifetime seconds.

  PUT /latest/api/token (needs X-aws-ec2-metadata-token-ttl-seconds) -> token
  GET /latest/meta-data/iam/security-credentials/        -> role name
  GET /latest/meta-data/iam/security-credentials/<role>  -> credentials JSON
  GET /__stats                                            -> request counters
GETs without a valid X-aws-ec2-metadata-token get 401, as on EC2 with
IMDSv2 required. Each credentials GET hands out a new numbered key.
"""
import argparse
import datetime
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--role", default="verger-test-role")
parser.add_argument("--ttl", type=int, default=3600, help="seconds until the credentials expire")
parser.add_argument("--lifetime", type=float, default=120)
args = parser.parse_args()

lock = threading.Lock()
tokens = set()
stats = {"token_puts": 0, "role_gets": 0, "cred_gets": 0, "unauthorized": 0}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, body, ctype="text/plain"):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        if self.path != "/latest/api/token":
            return self.reply(404, "not found")
        if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(400, "missing ttl header")
        tok = secrets.token_hex(16)
        with lock:
            tokens.add(tok)
            stats["token_puts"] += 1
        self.reply(200, tok)

    def do_GET(self):
        if self.path == "/__stats":
            with lock:
                return self.reply(200, json.dumps(stats), "application/json")
        with lock:
            ok = self.headers.get("X-aws-ec2-metadata-token") in tokens
            if not ok:
                stats["unauthorized"] += 1
        if not ok:
            return self.reply(401, "IMDSv2 token required")
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == base:
            with lock:
                stats["role_gets"] += 1
            return self.reply(200, args.role)
        if self.path == base + args.role:
            with lock:
                stats["cred_gets"] += 1
                n = stats["cred_gets"]
            exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=args.ttl)
            doc = {
                "Code": "Success",
                "LastUpdated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "Type": "AWS-HMAC",
                "AccessKeyId": "ASIAIMDS%04d" % n,
                "SecretAccessKey": "imds-secret-%d" % n,
                "Token": "imds-token-%d" % n,
                "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            return self.reply(200, json.dumps(doc), "application/json")
        self.reply(404, "not found")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
stopper = threading.Timer(args.lifetime, server.shutdown)
stopper.daemon = True  # a signal must not wait for it
stopper.start()
print("PORT %d" % server.server_address[1], flush=True)
server.serve_forever()
