"""gunicorn settings, read by ``gunicorn app.wsgi:app`` started in this folder (gunicorn looks
for ./gunicorn.conf.py). Command-line options still win (``-w 2``, ``--access-logfile -``).

The logger class keeps query strings (coordinates, ages), Authorization and Cookie out of the
access log whatever ``--access-logformat`` asks for; the app's own log filter
(``app.privacy``) does the same for servers started without this file.
"""

logger_class = "app.privacy.GunicornLogger"
# The usual combined format; "%(r)s" and "%(f)s" come without their query strings.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)s'

# No limit on the request line: gunicorn's own limit (4094 bytes by default, 8190 at most) would
# answer a long query string with its HTML "414 URI Too Long" page, and 2,000 Hangul characters
# pasted into the place box are 18,000 bytes percent-encoded. The app refuses over-long values
# itself, as JSON naming the parameter and its limit ("q may be at most 100 characters"); a proxy
# in front keeps its own limit (nginx: large_client_header_buffers, 8 KB by default).
limit_request_line = 0
