"""The static binary of scripts/dist.sh against `onboard simulate`: a non-interactive invite whose
code this script approves through the control API, then validate. Usage: dist-smoke.py BINARY"""

import json
import subprocess
import sys
import tempfile
import urllib.request

binary = sys.argv[1]


def post(url, body):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


sim = subprocess.Popen(
    [binary, "simulate", "--json", "--interval", "1"], stdout=subprocess.PIPE, text=True
)
try:
    info = json.loads(sim.stdout.readline())
    with tempfile.TemporaryDirectory() as config:
        common = [binary, "--config-dir", config, "--store", "file"]
        invite = subprocess.Popen(
            common + ["invite", "--non-interactive", "--json", "--profile", "smoke",
                      "--authority", info["authority"], "--tenant", info["tenant"],
                      "--client-id", info["client_id"], "--account", info["account"]],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        events = []
        for line in invite.stdout:
            event = json.loads(line)
            events.append(event["event"])
            if event["event"] == "device_code":
                post(info["control"] + "/approve", {"user_code": event["user_code"]})
        if invite.wait(timeout=60) != 0 or "signed_in" not in events:
            sys.exit(f"dist smoke test: invite failed (exit {invite.returncode}, {events})")
        validate = subprocess.run(
            common + ["validate", "--profile", "smoke", "--json"],
            capture_output=True, text=True, timeout=60,
        )
        if validate.returncode != 0 or json.loads(validate.stdout)["valid"] is not True:
            sys.exit(f"dist smoke test: validate failed (exit {validate.returncode})")
    print("static binary: invite and validate against onboard simulate passed", file=sys.stderr)
finally:
    sim.terminate()
    sim.wait(timeout=10)
