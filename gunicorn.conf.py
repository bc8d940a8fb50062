"""gunicorn settings, read by ``gunicorn app.wsgi:app`` started in this folder (gunicorn looks
for ./gunicorn.conf.py). Command-line options still win (``-w 2``, ``--access-logfile -``).

The logger class keeps query strings (coordinates, ages), Authorization and Cookie out of the
access log whatever ``--access-logformat`` asks for; the app's own log filter
(``app.privacy``) does the same for servers started without this file.
"""

logger_class = "app.privacy.GunicornLogger"
# The usual combined format; "%(r)s" and "%(f)s" come without their query strings.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)s'
