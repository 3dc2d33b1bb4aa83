"""The part of a test site's site.toml every daemon test shares: Laikunlava's position, and
its state, inbox and control socket inside the test's own directory."""


def site_toml(name: str) -> str:
    return f"""
[site]
name = "{name}"
latitude = 61.4978
longitude = 23.7610
timezone = "Europe/Helsinki"
[paths]
state = "state"
inbox = "inbox"
[control]
socket = "state/control.sock"
"""
