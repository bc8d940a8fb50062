// A child's full name as it is written: a name in Hangul (or Chinese characters) family name
// first with no space ("김지우"), any other given name first with a space ("Sky Kim"), on the
// Korean and the English pages alike (a Korean name is not turned round in English, nor an
// English one run together in Korean). child: { given_name, family_name }; either may be "".
const EAST_ASIAN = /^[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u3400-\u9fff\uf900-\ufaff]+$/;

export function fullName(child) {
  const given = (child.given_name || "").trim();
  const family = (child.family_name || "").trim();
  if (!given || !family) return given || family;
  return EAST_ASIAN.test(given) && EAST_ASIAN.test(family) ? family + given : given + " " + family;
}
