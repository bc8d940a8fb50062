// The search API calls the map page makes.
import { fetchJson } from "../common.js";

// Places matching typed text (the body: results, and suggestions when none match); `view`
// ("west,south,east,north", the map's bounds) ranks the places in view first.
export function findPlaces(q, view) {
  const params = { q, limit: "8" };
  if (view) params.view = view;
  return fetchJson("/api/v1/places?" + new URLSearchParams(params))
    .then((res) => (res.ok ? res.body : { results: [], suggestions: [] }));
}

// The nearest providers for the search parameters: { ok, status, body }.
export function nearest(params) {
  return fetchJson("/api/v1/facilities/nearest?" + new URLSearchParams(params));
}

// Every provider in a bounding box ("west,south,east,north"), in the compact form.
export function providersIn(bbox) {
  return fetchJson("/api/v1/facilities?" + new URLSearchParams({ bbox, fields: "compact", limit: "20000" }))
    .then((res) => res.body);
}
