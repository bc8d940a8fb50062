// Whether a pattern's dates are said "매일" / "every day": two or more consecutive calendar days
// (the registry's calendar, Asia/Seoul), each the day after the one before. Nothing stored says a
// pattern's kind, so its dates decide: true for a daily run (언제나 어린이집, the same hours on
// 2–5 days) and for a weekly pattern that picked every weekday; the same rule as the
// notifications' (app/care/notify/messages.py every_day).
import { wallIso } from "./api.js";

const DAY_MS = 24 * 60 * 60 * 1000;

// `bookings`: objects with `start` (ISO 8601 with an offset), in any order.
export function everyDay(bookings) {
  const days = bookings.map((b) => Date.parse(wallIso(b.start).slice(0, 10) + "T00:00:00Z")).sort((a, b) => a - b);
  return days.length >= 2 && days.every((d, i) => i === 0 || d - days[i - 1] === DAY_MS);
}
