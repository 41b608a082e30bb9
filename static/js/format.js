/* One number format for every page: "7,613 km", "12,345 points" (the server's templates use the
   same rules: geoguess/game/templatetags/numbers.py). */
"use strict";

window.GeoFormat = (function () {
  // The game's numbers, as the server's rules say them (geoguess/rules.py, given to every page by base.html).
  const rules = JSON.parse(document.getElementById("rules").textContent);
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

  /* worldNET's guess in words, from the reveal's worldnet block: "worldNET's pin: France, near
     Paris. It was 62% sure of Paris." Its last step (the interpolation head, trained on where the
     classifier's first impression goes wrong) may move the pin to another candidate's region,
     or between the candidates there: the text says which, so the pin never contradicts its bars. */
  function worldnetGuess(ai) {
    const best = ai.top[0];
    const where = [ai.country_name, ai.near ? "near " + ai.near : ""].filter(Boolean).join(", ") || ai.lat.toFixed(1) + "°, " + ai.lon.toFixed(1) + "°";
    let text = "worldNET's pin: " + where + ".";
    if (!best) return text;
    text += " It was " + percent(best.probability) + " sure of " + best.place + ".";
    if (ai.near === best.place) return text;
    const other = ai.top.find((candidate) => candidate.place === ai.near);
    if (other) return text + " Its last step, trained on where first impressions go wrong, put the pin on " + other.place + " (" + percent(other.probability) + ") instead.";
    // A version that averages all its candidates (the paper's global interpolation) can land far
    // from every one of them (further than coherence allows: rules.coherenceKm).
    const placed = ai.top.filter((candidate) => candidate.km_from_guess !== null && candidate.km_from_guess !== undefined);
    if (placed.length && placed.every((candidate) => candidate.km_from_guess > rules.coherenceKm)) {
      return text + " Its pin is a blend of all its candidates, far from each of them.";
    }
    return text + " It placed its pin in the region it believed most, between the candidates there.";
  }

  return { rules, number, km, points, percent, worldnetGuess };
})();
