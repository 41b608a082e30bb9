/* One number format for every page: "7,613 km", "12,345 points" (the server's templates use the
   same rules: geoguess/game/templatetags/numbers.py). */
"use strict";

window.GeoFormat = (function () {
  const whole = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
  const tenth = new Intl.NumberFormat("en", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

  /* An integer with thousands separators; "–" for a missing value. */
  function number(value) {
    if (value === null || value === undefined || Number.isNaN(Number(value))) return "–";
    return whole.format(Math.round(Number(value)));
  }

  /* A distance: one decimal under 10 km, whole and grouped above. */
  function km(value) {
    if (value === null || value === undefined) return "–";
    return (value < 10 ? tenth.format(value) : whole.format(Math.round(value))) + " km";
  }

  function points(value) {
    return number(value) + (Math.round(Number(value)) === 1 ? " point" : " points");
  }

  function percent(probability) {
    return Math.round(probability * 100) + "%";
  }

  return { number, km, points, percent };
})();
