"""Default settings. Override in ``instance/config.py`` or with ``DOLBOM_*`` environment variables.

A ``DOLBOM_<NAME>`` value is converted by the type of the default here (app/settings_env.py):
yes/no settings take true/false/yes/no/on/off/1/0, numbers must not be negative (some at least
1), a ``None`` default takes JSON or text; a bad value or an unknown ``DOLBOM_`` name stops
start-up naming it."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEMO_REGISTRY_PATH = PROJECT_ROOT / "data" / "facilities" / "gyeonggi-demo.geojson"

# The registry the service loads. None: instance/registry.geojson when an import has written
# one, else the committed synthetic demo registry.
REGISTRY_PATH = None
# How often (seconds) a server process looks whether the registry changed (an import, or
# `flask registry-to-db`); a change is loaded aside and swapped in without a restart.
REGISTRY_CHECK_SECONDS = 2.0
# A vacancy figure older than this counts as unknown, never as available.
AVAILABILITY_MAX_AGE_HOURS = 24
# The pages show a figure older than this (minutes) as the last report ("3시간 전 자리 있었음"),
# not in the colour of a fact: providers report at least at each shift change (every few hours).
AVAILABILITY_FRESH_MINUTES = 180
# The pages show the walk only up to this many minutes (about 1.8 km at 4 km/h with the 1.3
# detour factor); farther, the distance alone.
WALKING_MAX_MINUTES = 35
# A search whose home lies farther than this (metres) from every provider of the registry's
# bounding box is answered with "outside_coverage": true, so the page can say the place is
# outside the area the registry covers (a home in 부산 on a 경기도 registry).
SEARCH_COVERAGE_MARGIN_M = 15_000
# Results per search request.
SEARCH_DEFAULT_LIMIT = 10
SEARCH_MAX_LIMIT = 100
SEARCH_MAX_RADIUS_M = 100_000
# How far from now a search's care window (start, end) may lie, in days: before now (care
# that began a little earlier) and ahead (booking in the coming months). Farther is a 400.
SEARCH_WINDOW_PAST_DAYS = 1
SEARCH_WINDOW_AHEAD_DAYS = 366
# Bounding-box listing for the map layer of all providers (compact fields only).
BBOX_COMPACT_MAX_LIMIT = 20_000

# Base map tiles: any XYZ template (VWorld works too). When no tile loads (an intranet, our
# tests) the map still shows the 시군구 outlines and the markers.
TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_ATTRIBUTION = "© OpenStreetMap contributors"
TILE_MAX_ZOOM = 19
MAP_CENTER = (37.41, 127.25)  # lat, lon: the middle of 경기도
MAP_ZOOM = 10

# Sites allowed to embed /embed in an iframe (Content-Security-Policy frame-ancestors), e.g.
# ["https://www.suwon.go.kr"]. Every other page refuses to be framed.
EMBED_ALLOWED_ORIGINS: list[str] = []
# Origins admins add without a restart (/admin/embed-origins, the admin API or
# `flask embed-origins add`) live in the database; each server process reads that list at most
# once per this many seconds, so a change reaches every process within it.
EMBED_ORIGINS_CACHE_S = 5.0

# Planner sessions (/planner, signed in with an admin token) end after this many minutes
# without a request, and this many hours after sign-in however busy; also when the token is
# revoked or expires, and at sign-out, on every server sharing the database.
PLANNER_MAP_CACHE_SIZE = 16  # built planner maps kept per app (a few MB each)
# The planner's first page (demand layer, measures, area outlines) is computed in a background
# thread from the moment the app starts, so the first sign-in after a start does not wait for
# it (start-up never does). Not in apps made with TESTING (tests make many apps), nor for
# `flask` commands other than `run`; turn it off for `gunicorn --preload` (a thread does not
# survive the fork into workers). PLANNER_WARM_UP = False turns off every warm-up, also the
# one the sign-in form starts.
PLANNER_WARM_UP = True
PLANNER_WARM_UP_AT_START = True
PLANNER_SESSION_IDLE_MINUTES = 30
PLANNER_SESSION_MAX_HOURS = 8
# People's accounts (app/care/accounts.py): this many failed sign-ins within the window
# (minutes) lock the account for ACCOUNT_LOCKOUT_MINUTES; the shortest password allowed; how
# long (minutes) a password-reset link works (a newer link ends every older one).
ACCOUNT_SIGN_IN_MAX_FAILURES = 5
ACCOUNT_SIGN_IN_FAILURE_WINDOW_MINUTES = 15
ACCOUNT_LOCKOUT_MINUTES = 15
ACCOUNT_PASSWORD_MIN_LENGTH = 10
ACCOUNT_RESET_LINK_MINUTES = 60
# People's sessions (app/pages/account_sessions.py, cookie dolbom_account) end after this many
# minutes without a request and this many hours after sign-in; also at sign-out, when the
# account is disabled and when its password is reset, on every server sharing the database.
ACCOUNT_SESSION_IDLE_MINUTES = 60
ACCOUNT_SESSION_MAX_HOURS = 12
# Per client address (Flask-Limiter syntax; the client's address behind TRUSTED_PROXIES):
# sign-in attempts, and sign-ups plus reset-link requests (each costs a hash or an e-mail).
# Many families share one address on mobile networks (CGNAT): the per-account lockout above is
# the tight limit, these stop one address trying many accounts.
ACCOUNT_SIGN_IN_RATE_LIMIT = "20 per minute; 200 per hour"
ACCOUNT_FORM_RATE_LIMIT = "10 per minute; 60 per hour"
# argon2id parameters of new password hashes (argon2-cffi's RFC 9106 low-memory defaults: 3
# passes over 64 MiB, 4 lanes); a hash made with others is renewed at the next sign-in.
ACCOUNT_ARGON2_TIME_COST = 3
ACCOUNT_ARGON2_MEMORY_KIB = 65536
ACCOUNT_ARGON2_PARALLELISM = 4
# Sign-in through an OpenID Connect provider (간편인증: Kakao, Naver, …; app/pages/account_oidc.py).
# OIDC_ISSUER (https; its /.well-known/openid-configuration is read) and OIDC_CLIENT_ID turn it
# on; OIDC_LABEL names the provider on the button; OIDC_REDIRECT_URI is the callback URL
# registered with the provider (empty: this site's /account/oidc/callback as requested);
# OIDC_TIMEOUT_S bounds each request to the provider; a sign-in must come back within
# OIDC_STATE_MINUTES. The secret is never logged nor shown.
OIDC_ISSUER = ""
OIDC_CLIENT_ID = ""
OIDC_CLIENT_SECRET = ""
OIDC_SCOPES = "openid"
OIDC_LABEL = ""
OIDC_REDIRECT_URI = ""
OIDC_TIMEOUT_S = 10.0
OIDC_STATE_MINUTES = 10
# The care clock (app/care/scheduler.py): every CARE_CLOCK_INTERVAL_S seconds it fires what is due
# (booking holds, offers, unmatched requests), delivers the outbox and (hourly) purges families
# past the retention period. CARE_CLOCK_IN_PROCESS: each server process runs it (safe on several
# at once); false when a separate `flask --app app.wsgi care clock` process runs it instead.
CARE_CLOCK_IN_PROCESS = True
CARE_CLOCK_INTERVAL_S = 5.0
# Bookings (app/care/desk.py): a provider that confirms bookings itself has this long to answer
# before the hold lapses and the family is shown the next providers.
CARE_BOOKING_HOLD_MINUTES = 30
# Emergency care requests (app/care/matching.py): offers go to one provider at a time
# ("sequential") or to CARE_OFFER_BATCH at once ("top_n"; a decline or a lapse passes the place
# on to the next one); each offer lapses after CARE_OFFER_RESPONSE_MINUTES, the request after
# CARE_REQUEST_MATCH_MINUTES (then it is unmatched and queued for people); at most
# CARE_MATCH_MAX_PROVIDERS providers are ranked for one request. A request keeps the settings it
# was made with.
CARE_OFFER_MODE = "sequential"
CARE_OFFER_BATCH = 3
CARE_OFFER_RESPONSE_MINUTES = 10
CARE_REQUEST_MATCH_MINUTES = 60
CARE_MATCH_MAX_PROVIDERS = 10
# Children's care notes (allergies, health, needs; app/care/sealing.py) are sealed with Fernet
# keys: the first seals, every one opens. To rotate, put a new key first, keep the old ones after
# it, run the rotation (ChildStore.rotate_care_notes), then drop the old keys. Make a key with
#   python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
# and give every server the same list (DOLBOM_CARE_NOTES_KEYS="<new>,<old>"). Empty: with
# TESTING a fixed public key; with the instance folder's SQLite (DATABASE_URL None) a key made
# once in instance/care_notes_key; with a SQLite file DATABASE_URL (trying the demo aside) a key
# made once per file in instance/care_notes_key-<hash>; with a shared DATABASE_URL (PostgreSQL)
# start-up stops asking for keys.
CARE_NOTES_KEYS: list[str] = []
# A family's personal data (account, children, consents) is deleted after this many days
# without use (sign-in, booking, change), and never while it has a booking not yet ended.
CARE_RETENTION_DAYS = 365
# A staff or admin read of a child's record (child_access_log) identical to one logged within
# this many seconds (same reader, child, booking, purpose, outcome) is not logged again: one
# showing of the child is one line of the family's access log, however often a page asks.
CARE_ACCESS_LOG_COALESCE_S = 120
# Notifications (app/care/outbox.py): the outbox worker delivers each message on the page and,
# when configured, by e-mail and KakaoTalk 알림톡/SMS. E-mail is off while NOTIFY_SMTP_HOST is
# empty: NOTIFY_SMTP_FROM is the sender's address (its domain names the Message-IDs), STARTTLS
# before the login, NOTIFY_SMTP_TIMEOUT_S per exchange with the server. 알림톡 (NHN Cloud
# KakaoTalk Bizmessage; SMS fallback is the gateway's own setting) is off while
# NOTIFY_ALIMTALK_APP_KEY is empty; it needs the secret key and the sender profile's key, and
# templates registered with the codes and text of app/care/notify/messages.json. A claimed
# message is held NOTIFY_LEASE_S seconds (longer than the longest send: 10 x the SMTP timeout, 2 x
# the 알림톡 timeout, plus 5; shorter than the gateway's 600 s duplicate window), NOTIFY_BATCH at a
# time; a failed try waits min(NOTIFY_BACKOFF_CAP_S, NOTIFY_BACKOFF_BASE_S x 2^(n-1)) seconds
# (with jitter) and a message fails for good after NOTIFY_MAX_ATTEMPTS tries. Keys and passwords
# are never logged.
# NOTIFY_PUBLIC_BASE_URL: the site's public address (https://host[:port], no path; http only for
# 127.0.0.1/localhost), which the worker puts before the relative path of a link in a message
# (password-reset links, by e-mail only); never taken from a request's Host. Empty: such
# messages fail, naming this setting.
NOTIFY_PUBLIC_BASE_URL = ""
NOTIFY_SMTP_HOST = ""
NOTIFY_SMTP_PORT = 587
NOTIFY_SMTP_USER = ""
NOTIFY_SMTP_PASSWORD = ""
NOTIFY_SMTP_STARTTLS = True
NOTIFY_SMTP_FROM = ""
NOTIFY_SMTP_TIMEOUT_S = 10.0
NOTIFY_ALIMTALK_URL = "https://kakaotalk-bizmessage.api.nhncloudservice.com"
NOTIFY_ALIMTALK_APP_KEY = ""
NOTIFY_ALIMTALK_SECRET_KEY = ""
NOTIFY_ALIMTALK_SENDER_KEY = ""
NOTIFY_ALIMTALK_TIMEOUT_S = 10.0
NOTIFY_LEASE_S = 120.0
NOTIFY_BATCH = 100
NOTIFY_MAX_ATTEMPTS = 8
NOTIFY_BACKOFF_BASE_S = 30.0
NOTIFY_BACKOFF_CAP_S = 3600.0
# The session cookie's Secure flag: True when the site is served over HTTPS (it is also set on
# any request that arrived over HTTPS, seen through TRUSTED_PROXIES).
SESSION_COOKIE_SECURE = False
# How many proxies in front of the app (nginx, a load balancer) set X-Forwarded-For and
# X-Forwarded-Proto. 0: those headers are ignored (a client could forge them). 1 behind one
# TLS-terminating proxy, so the app knows a request came over HTTPS (werkzeug's ProxyFix).
TRUSTED_PROXIES = 0

# Place search: geocoders asked in turn ("module:Class"): road-name and lot-number addresses,
# then the offline gazetteer of administrative names.
GEOCODERS = ["app.geo.geocoding:AddressGeocoder", "app.geo.geocoding:GazetteerGeocoder"]
# Exact addresses (optional): a geocoding service, "vworld" (VWorld's address API, getcoord) or
# "kakao" (Kakao Local's address search), and its API key. Empty (the default): offline only, an
# address is placed at the area it names (its 읍면동, or the 시군구 of a road) marked approximate.
# GEOCODER_URL: the service's address when not its public one; any failure or no answer within
# GEOCODER_TIMEOUT_S seconds gives the offline answer. The key is never logged nor shown.
GEOCODER_PROVIDER = ""
GEOCODER_KEY = ""
GEOCODER_URL = ""
GEOCODER_TIMEOUT_S = 3.0

# Where provider reports live: a SQLAlchemy URL such as
# postgresql+psycopg://user:pass@host/dolbom. None: SQLite (WAL) in the instance folder.
DATABASE_URL = None
# Apply pending schema migrations at start-up (turn off to run `flask db-upgrade` yourself).
DATABASE_AUTO_MIGRATE = True

# Where the registry lives and nearest search runs: "memory" (the registry file, loaded into
# every process) or "postgis" (the facilities table of DATABASE_URL, loaded there with
# `flask registry-to-db`; KNN search in the database; no data files on the app servers).
SEARCH_BACKEND = "memory"

# Planners' demand layer: a CSV of children per area code (읍면동 or 시군구; `areas`), per
# 국가지점번호 grid cell (`cells`) or per point (`points`). None: the synthetic demo layer
# (data/demand/). Build one from the MOIS tables with `flask planning-demand`.
PLANNING_DEMAND_PATH = None
PLANNING_DEMAND_FORMAT = "areas"
PLANNING_CELL_M = 500
# Demand files: texts meaning "a count suppressed by the statistics agency" (SGIS grids write
# N/A for fewer than 5, i.e. 1–4) and the children each such count stands for (2.5, the middle
# of 1–4; 1 or 4 give the low and high ends). The CLI and the API report how many there were.
PLANNING_SUPPRESSED_MARKERS = ["N/A"]
PLANNING_SUPPRESSED_VALUE = 2.5
# A demand cell or point in no 읍면동 polygon (a gap between the generalised boundaries, a
# shoreline) joins the nearest 경기도 읍면동 within this many metres; farther rows are set aside
# and listed row by row by the CLI and the API.
PLANNING_GAP_MAX_M = 1000

# Planning work is bounded so no request runs near the worker timeout (gunicorn's 30 s):
# - a site suggestion whose candidate–demand pairs within radius_m (estimated from a sample in
#   milliseconds) exceed PLANNING_SITES_MAX_PAIRS is a 400 naming this limit;
# - a greedy one of at most PLANNING_SITES_SYNC_MAX_WORK (p × pairs, about 1 s per 10 million
#   here) answers at once; any other (bigger, or exact/auto, whose CBC solve runs up to
#   PLANNING_CBC_TIME_LIMIT_S) runs as a background job: 202 + Location (app/api/planning_jobs.py);
# - exact solving (method exact, or auto's second step) is for at most PLANNING_EXACT_MAX_PAIRS
#   pairs: beyond that PuLP alone needs minutes to write the model (auto then keeps greedy);
# - a floating catchment linking more than PLANNING_FCA_MAX_PAIRS demand–provider pairs is a
#   400 naming catchment_m or bands_m; GeoJSON/GeoPackage exports hold at most
#   PLANNING_SHAPES_MAX_ROWS areas (give area=… for grid cells of a city).
PLANNING_SITES_MAX_PAIRS = 10_000_000
PLANNING_SITES_SYNC_MAX_WORK = 10_000_000
PLANNING_EXACT_MAX_PAIRS = 1_000_000
PLANNING_CBC_TIME_LIMIT_S = 60
PLANNING_FCA_MAX_PAIRS = 5_000_000
PLANNING_SHAPES_MAX_ROWS = 10_000
# Planning jobs (a table of the shared database; one runner thread per server process): a job
# runs at most PLANNING_JOB_MAX_SECONDS (then answers with the best found so far), its result is
# kept PLANNING_JOB_KEEP_S seconds after it ends, at most PLANNING_JOB_MAX_WAITING jobs wait or
# run at once (more is a 429), a runner looks for work every PLANNING_JOB_POLL_S seconds and
# stops after PLANNING_JOB_RUNNER_IDLE_S idle ones; a job whose server stopped (no heartbeat for
# PLANNING_JOB_STALE_S) is run again, PLANNING_JOB_MAX_ATTEMPTS times in all.
PLANNING_JOB_MAX_SECONDS = 240
PLANNING_JOB_KEEP_S = 86_400
PLANNING_JOB_MAX_WAITING = 20
PLANNING_JOB_POLL_S = 2.0
PLANNING_JOB_RUNNER_IDLE_S = 300
PLANNING_JOB_STALE_S = 60
PLANNING_JOB_MAX_ATTEMPTS = 2

# Registry text (checked on import, row by row, and when a registry file is loaded): ids must
# fully match REGISTRY_ID_PATTERN and be at most REGISTRY_ID_MAX_CHARS long (they appear in
# URLs such as /api/v1/providers/<id>); names, addresses and other text lose control, bidi and
# zero-width characters and are refused beyond these lengths (characters, after cleaning).
REGISTRY_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._:-]*"
REGISTRY_ID_MAX_CHARS = 64
REGISTRY_NAME_MAX_CHARS = 200
REGISTRY_ADDRESS_MAX_CHARS = 300
REGISTRY_PHONE_MAX_CHARS = 40
REGISTRY_TEXT_MAX_CHARS = 100  # 시도, 시군구, 읍면동, 설치유형 and other short text
# Import: a coordinate whose written digits step by more than this (metres) cannot place a
# building (37 / 127, or 37.26 / 127.05, written to whole or 1/100 degrees) and is rejected.
IMPORT_MAX_COORDINATE_STEP_M = 200
# Import: a point farther than this (metres) from the 시군구 its row names is rejected; closer
# ones are kept and listed as disagreements (boundaries are generalised, addresses straddle).
IMPORT_NAMED_SIGUNGU_MAX_DISTANCE_M = 5000
# Import: one point named by rows of at least this many different 시군구 is a stand-in location
# (placeholder), not where those providers are.
IMPORT_SHARED_POINT_MIN_SIGUNGU = 3

# Provider reports (PUT /api/v1/providers/<id>/availability). Every part of a report has a cap,
# so a token cannot fill the disk: a body over REPORT_MAX_BODY_BYTES is a 413, any other cap a
# 400 naming the field and the cap.
REPORT_MAX_BODY_BYTES = 32 * 1024
REPORT_MAX_SLOTS = 200  # time slots, all programmes together
REPORT_MAX_HOURS_DATES = 62  # dates with changed hours
REPORT_MAX_INTERVALS_PER_DATE = 4  # opening intervals on one of those dates
REPORT_MAX_CLOSURES = 20
REPORT_MAX_REASON_CHARS = 200  # a closure's reason (no control or bidi characters)
REPORT_HORIZON_DAYS = 400  # no slot, closure or changed date may start later than this from now
# JSON from clients (any request body, JSON in a query parameter) nested deeper than this many
# objects/lists is a 400 before it is parsed.
JSON_MAX_DEPTH = 32
# Report writes per token (Flask-Limiter syntax; ";" separates limits that all apply), counted
# for every authenticated PUT whatever its outcome. Over a limit: 429 with Retry-After.
PROVIDER_WRITE_RATE_LIMIT = "30 per minute; 500 per day"
ADMIN_WRITE_RATE_LIMIT = "600 per minute"
# Where the write counts live, shared by every server: None is the availability database
# (DATABASE_URL, SQLite or PostgreSQL; nothing else to run); or a limits storage URI such as
# redis://host:6379 or memcached://host:11211 (install that client). RATELIMIT_ENABLED = False
# turns counting off.
RATELIMIT_STORAGE_URI = None
RATELIMIT_ENABLED = True  # Flask-Limiter's own setting (its default), here so DOLBOM_ sets it
# A provider's change history (GET /api/v1/providers/<id>/history) comes in pages.
HISTORY_DEFAULT_LIMIT = 20
HISTORY_MAX_LIMIT = 50
