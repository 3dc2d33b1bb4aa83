"""Finnish and English for the console: the language from a cookie (the switch on every
page), else `[web] language`, else the browser's Accept-Language; English is the default."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from controller.showstatus import english

LANGUAGES = ("en", "fi")

FI = {
    "Tonight": "Tänä iltana",
    "Queue": "Jono",
    "Upload": "Lähetä",
    "Library": "Kirjasto",
    "Year and report": "Vuosi ja raportti",
    "Controls": "Ohjaus",
    "Log out": "Kirjaudu ulos",
    "Log in": "Kirjaudu",
    "User name": "Käyttäjätunnus",
    "Password": "Salasana",
    "Wrong user name or password.": "Väärä käyttäjätunnus tai salasana.",
    "Too many tries: wait a few minutes.": "Liian monta yritystä: odota muutama minuutti.",
    "The daemon is not answering": "Ohjain ei vastaa",
    "Showing now": "Nyt esillä",
    "Nothing is showing": "Mitään ei ole esillä",
    "Live projection": "Projektio nyt",
    "Tonight's windows": "Illan näytösajat",
    "Dark tonight": "Tänään pimeää",
    "Next change": "Seuraava muutos",
    "Outputs": "Lähdöt",
    "dark": "pimeä",
    "showing": "esillä",
    "blackout": "pimennys",
    "override": "käsiohjaus",
    "waiting-for-clock": "odottaa kelloa",
    "pending": "odottaa",
    "approved": "hyväksytty",
    "rejected": "hylätty",
    "retired": "poistettu näytöstä",
    "Waiting for approval": "Odottaa hyväksyntää",
    "Approved": "Hyväksytyt",
    "Other": "Muut",
    "Nothing waits for approval.": "Mikään ei odota hyväksyntää.",
    "Original": "Alkuperäinen",
    "Steel": "Teräs",
    "Glass": "Lasi",
    "Colour": "Väri",
    "As projected": "Heijastettuna",
    "Palette": "Väripaletti",
    "Credit": "Tekijä",
    "Save": "Tallenna",
    "Approve": "Hyväksy",
    "Reject": "Hylkää",
    "Retire": "Poista näytöstä",
    "Reason": "Syy",
    "Reason for the artist": "Syy taiteilijalle",
    "Take a photo": "Ota kuva",
    "Choose a file": "Valitse tiedosto",
    "First name and age, e.g. Aino, 7": "Etunimi ja ikä, esim. Aino, 7",
    "Send": "Lähetä",
    "Sending": "Lähetetään",
    "Converting": "Muunnetaan",
    "Added to the library.": "Lisätty kirjastoon.",
    "Already in the library.": "On jo kirjastossa.",
    "Not added": "Ei lisätty",
    "It waits for a curator's approval.": "Se odottaa kuraattorin hyväksyntää.",
    "It joins tonight's rotation.": "Se pääsee illan kiertoon.",
    "Waiting for the controller to take it.": "Odottaa, että ohjain ottaa sen.",
    "Choose a drawing first.": "Valitse ensin piirustus.",
    "Shown": "Esitetty",
    "times": "kertaa",
    "min": "min",
    "Added": "Lisätty",
    "No drawings yet.": "Ei vielä piirustuksia.",
    "Schedule of the year": "Vuoden aikataulu",
    "Last 30 nights": "Viimeiset 30 yötä",
    "Hours lit": "Valaistut tunnit",
    "Energy": "Energia",
    "No run log yet.": "Ajolokia ei vielä ole.",
    "Night": "Yö",
    "Blackout": "Pimennä",
    "Resume schedule": "Jatka aikataulua",
    "Master": "Master-taso",
    "Set": "Aseta",
    "Next drawing": "Seuraava piirustus",
    "Play": "Näytä",
    "Identify": "Tunnista",
    "Done.": "Tehty.",
    "Failed": "Epäonnistui",
    "Only technicians may do this.": "Vain teknikot voivat tehdä tämän.",
    "Only curators may do this.": "Vain kuraattorit voivat tehdä tämän.",
    "Your uploads": "Omat lähetyksesi",
    "Uploaded by": "Lähettäjä",
    "Drawn as": "Tyyli",
    "chosen by the converter": "muuntimen valitsema",
    "chosen by a curator": "kuraattorin valitsema",
    "the converter's choice": "muuntimen oma valinta",
    "Draw it as": "Vaihda tyyli",
    "Automatic": "Automaattinen",
    "Lines glow": "Viivat hehkuvat",
    "Coloured areas glow, lines stay dark": "Väritetyt alueet hehkuvat, viivat jäävät tummiksi",
    "Painting: the whole sheet": "Maalaus: koko paperi",
    "Redraw": "Piirrä uudelleen",
    "Redrawing…": "Piirretään…",
    "Redrawing its gobos: this takes a few seconds.":
        "Sen gobot piirretään uudelleen: tämä kestää muutaman sekunnin.",
}

_TABLES = {"fi": FI}


def choose(cookie: str | None, configured: str, accept_language: str | None) -> str:
    """The language for one request."""
    if cookie in LANGUAGES:
        return str(cookie)
    if configured in LANGUAGES:
        return configured
    best, best_q = "en", -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        code = tag.strip().lower().split("-")[0]
        if code in LANGUAGES and q > best_q:
            best, best_q = code, q
    return best


def translator(language: str) -> Callable[[str], str]:
    table = _TABLES.get(language, {})
    return lambda text: table.get(text, text)


def style_reason(automatic: dict[str, Any], language: str) -> str:
    """Why the converter chose its style, in `language`: worded from the manifest's numbers
    in Finnish, else the converter's own English words."""
    measured = automatic.get("measured") or {}
    if language != "fi" or not measured:
        return str(automatic.get("reason") or "")
    if "painted" in measured:
        return f"maali peittää {_percent(measured['painted'])} paperista"
    words = f"väritetyt alueet täyttävät {_percent(measured.get('coloured', 0))} hahmosta"
    if "hatched" in measured:
        words += f"; {_percent(measured['hatched'])} paperista on viivoitettu, ei maalattu"
    return words if automatic.get("style") == "fills" else f"viivapiirros ({words})"


def _percent(share: float) -> str:
    return f"{round(100 * share)} %"


def status_line(status: dict[str, Any], language: str) -> str:
    """The daemon's one line of why in `language`: worded from its reasons in Finnish, else
    the daemon's own English words."""
    reasons = status.get("reasons")
    if language != "fi" or not reasons:
        return str(status.get("why") or "")
    return "; ".join(_finnish(reason) for reason in reasons)


_OUTPUT_STATES = {"disconnected": "ei yhteyttä", "error": "virhe"}


def _finnish(r: dict[str, Any]) -> str:
    match r.get("code"):
        case "blackout":
            return f"pimennys klo {_time(r['since'])} alkaen, {_by(r)}"
        case "waiting-for-clock":
            return "odottaa, että kello on oikeassa ajassa"
        case "output":
            state = _OUTPUT_STATES.get(r["state"], r["state"])
            return f"lähtö {r['output']}: {state} klo {_time(r['since'])} alkaen"
        case "override":
            return "käsiohjaus: " + "; ".join(
                ", ".join([o["fixture"], _by(o), *_until(o)]) for o in r["overrides"]
            )
        case "playing":
            where = (f"näytösajassa '{r['window']}'" if r["window"] is not None
                     else "näytösajan ulkopuolella")
            shown = " ".join([f"näytetään {r['artwork']}{_credit(r)}", _percent(r["level"]), where,
                              *_until(r)])
            return f"{shown}, {_by(r)}"
        case "outside-window":
            return " ".join(["näytösajan ulkopuolella", *_until(r)])
        case "no-artwork":
            return "ei näytettävää piirustusta"
        case "no-approved-artwork":
            return "ei hyväksyttyjä piirustuksia"
        case "showing":
            return " ".join([f"esillä {r['artwork']}{_credit(r)}", _percent(r["level"]),
                             f"näytösajassa '{r['window']}'", *_until(r)])
        case "identifying":
            return " ".join([f"tunnistetaan {r['fixture']}", *_until(r)]) + f", {_by(r)}"
        case "state-not-saved":
            return f"tilaa ei tallennettu: {r['detail']}"
        case "library-not-readable":
            return f"kirjastoa ei voi lukea: {r['detail']}"
        case "runlog-not-written":
            return f"ajolokia ei kirjoiteta: {r['detail']}"
    return english(r)  # not worded in Finnish yet: the daemon's words, not nothing


def _time(hhmm: str) -> str:
    return hhmm.replace(":", ".")  # Finnish clock times: 21.30


def _until(reason: dict[str, Any]) -> list[str]:
    return [f"klo {_time(reason['until'])} asti"] if reason.get("until") else []


def _by(reason: dict[str, Any]) -> str:
    """Who asked (a source such as "web tess (root)" has brackets of its own)."""
    return f"lähde: {reason['by']}"


def _credit(reason: dict[str, Any]) -> str:
    return f" ({reason['credit']})" if reason.get("credit") else ""
