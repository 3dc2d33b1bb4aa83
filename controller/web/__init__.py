"""`gobo web`: the console for curators, artists and technicians, a process beside the daemon.

It reaches the show only through the control socket, the library (SQLite WAL) and the
inbox, so nothing it does can stall the frame loop. One concern per module: settings,
users, sessions, the daemon link, uploads, the live picture, metrics, the API, the pages.
"""
