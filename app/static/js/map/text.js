// What a result says: distance, availability, hours, and the detail block and popup built
// from them (all as text nodes).
import { el, t } from "../common.js";

function ageText(minutes) {
  if (minutes === null || minutes === undefined) return "";
  if (minutes < 60) return t("minutes", { n: minutes });
  if (minutes < 48 * 60) return t("hours", { n: Math.round(minutes / 60) });
  return t("days", { n: Math.round(minutes / 1440) });
}

function availabilityText(a) {
  if (a.status === "available") return t("available", { n: a.places });
  if (a.status === "full") return t("full");
  if (a.status === "closed") return t("closed_status");
  return t("unknown_availability");
}

// Availability, and how long ago it was reported.
export function availabilityLine(a) {
  return availabilityText(a) +
    (a.age_minutes !== null ? " · " + t("reported_ago", { t: ageText(a.age_minutes) }) : "");
}

export function nearText(hit) {
  if (hit.comes_to_you) return t("comes_to_you");
  const dist = hit.distance_m >= 1000 ? (hit.distance_m / 1000).toFixed(1) + " km"
    : Math.round(hit.distance_m) + " m";
  let s = dist + " · " + t("walk_min", { n: hit.walking_minutes });
  if (hit.near === "work") s += " · " + t("near_work");
  if (hit.near === "route") s += " · " + t("on_the_way");
  return s;
}

function hoursText(f, dayType) {
  if (!f.hours) return t("hours_unknown");
  const ivs = f.hours[dayType] || [];
  if (!ivs.length) return t("closed_that_day");
  return t("hours_on_day") + ": " + ivs.join(", ");
}

function directionsUrl(f) {
  return "https://map.kakao.com/link/to/" + encodeURIComponent(f.name) + "," + f.lat + "," + f.lon;
}

// Hours on the searched day, address, phone and directions.
export function detailBlock(hit, dayType) {
  const f = hit.facility;
  const box = el("div", "detail-block");
  box.appendChild(el("p", "hours", hoursText(f, dayType)));
  if (f.address) box.appendChild(el("p", "address", f.address));
  const links = el("p", "links");
  if (f.phone) {
    const tel = el("a", null, t("call") + " " + f.phone);
    tel.href = "tel:" + f.phone.replace(/[^0-9+]/g, "");
    links.appendChild(tel);
  }
  const dir = el("a", null, t("directions"));
  dir.href = directionsUrl(f);
  dir.target = "_blank";
  dir.rel = "noopener";
  links.appendChild(dir);
  box.appendChild(links);
  return box;
}

// A result marker's popup.
export function popupContent(hit, dayType) {
  const f = hit.facility;
  const box = el("div", "popup");
  box.appendChild(el("strong", null, f.name));
  box.appendChild(el("div", "kind", t("kind_" + f.kind)));
  box.appendChild(el("div", null, nearText(hit)));
  box.appendChild(el("div", "avail avail-" + hit.availability.status, availabilityLine(hit.availability)));
  box.appendChild(detailBlock(hit, dayType));
  return box;
}
