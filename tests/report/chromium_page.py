"""Loads a local HTML page in headless Chromium (Debian's `chromium`) over the
DevTools protocol (python3-websocket): collects console errors and uncaught
exceptions, evaluates expressions in the page and takes a screenshot."""
import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import websocket

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class Page:
    def __init__(self, url, width=1280, height=900):
        self.profile = tempfile.mkdtemp(prefix="verger_chromium_")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            self._open(url, width, height)
        except BaseException:
            self.close()
            raise

    def _open(self, url, width, height):
        ws_url = None
        deadline = time.time() + 60
        while ws_url is None and time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with status {self.proc.returncode} before DevTools started")
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            if m:
                ws_url = m.group(1)
        if ws_url is None:
            raise RuntimeError("chromium did not start DevTools within 60 s")
        browser = websocket.create_connection(ws_url, timeout=60)
        self.ws_browser = browser
        self.next_id = 0
        self.problems = []
        target = self._call(browser, "Target.createTarget", {"url": "about:blank"})["targetId"]
        port = ws_url.split(":")[2].split("/")[0]
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}/devtools/page/{target}", timeout=60)
        for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
            self.call(domain)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.call("Page.navigate", {"url": url})
        self._wait_event("Page.loadEventFired", 60)

    def _call(self, ws, method, params=None):
        self.next_id += 1
        my_id = self.next_id
        ws.send(json.dumps({"id": my_id, "method": method, "params": params or {}}))
        while True:
            msg = json.loads(ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._note(msg)

    def call(self, method, params=None):
        return self._call(self.ws, method, params)

    def _note(self, msg):
        method, p = msg.get("method"), msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            self.problems.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:500])
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            self.problems.append(f"console.{p['type']}: " + json.dumps(p.get("args", []))[:500])
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            self.problems.append("log: " + p["entry"].get("text", "")[:500] + " " + p["entry"].get("url", ""))

    def _wait_event(self, name, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            msg = json.loads(self.ws.recv())
            self._note(msg)
            if msg.get("method") == name:
                return msg
        raise RuntimeError(f"no {name} within {timeout} s")

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def screenshot(self, path, full_page=True):
        params = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            w, h = self.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": w, "height": h, "scale": 1}
        data = self.call("Page.captureScreenshot", params)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def settle(self, seconds=0.5):
        """Lets late console messages arrive."""
        self.ws.settimeout(seconds)
        try:
            while True:
                self._note(json.loads(self.ws.recv()))
        except websocket.WebSocketTimeoutException:
            pass
        self.ws.settimeout(60)

    def close(self):
        try:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
