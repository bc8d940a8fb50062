"""Facts about Korea used across the service, defined once: the time zone, the box around the
country, and the oldest child any search or analysis is for."""

from __future__ import annotations

from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")  # Korea's one time zone (KST, UTC+9, no daylight saving)

# A generous box around South Korea's land and islands (incl. 제주, 울릉도), WGS84 degrees.
KOREA_LON_RANGE = (124.0, 132.0)
KOREA_LAT_RANGE = (33.0, 39.0)

# 18 years: 아동복지법 제3조 defines a child as under 18; no care filter goes beyond it.
MAX_CHILD_AGE_MONTHS = 216
