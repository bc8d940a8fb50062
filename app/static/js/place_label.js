// How a place found by the place search (/api/v1/places: name, name_en, detail, detail_en,
// type) is labelled on the pages, so places with the same name ("수원시청직장어린이집" in
// 장안구 and in 권선구) can be told apart: its name, and its detail (the 구 of a provider, the
// lines of a station, the address of a school).
import { pageConfig, t } from "./common.js";

// A place's name in the page's language (English pages: its romanised name when known).
// An address stays as the family typed it (written out), in either language.
export function placeName(r) {
  return pageConfig().lang === "en" && r.name_en && r.type !== "address" ? r.name_en : r.name;
}

// What tells the place apart from others of its name, in the page's language; "" when the
// API says nothing. English pages: the English detail ("Shinbundang Line", "91 Daehak-ro,
// Yeongtong-gu, …"), or the Korean one labelled as such when there is no English.
export function placeDetail(r) {
  if (pageConfig().lang !== "en") return r.detail || "";
  return r.detail_en || (r.detail ? t("detail_in_korean", { detail: r.detail }) : "");
}
