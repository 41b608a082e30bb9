/* A country streak's round, beside round.js: hints that speak of countries, and a reveal that says right or
   wrong and both streaks in place of distances and points.

   The server finds every country (the shipped land data) and counts both streaks: the reveal's `streak`
   block. worldNET's side comes with its guess, after the player's own, and may come late (round.js asks
   again until it does, then calls show once more). */
"use strict";

window.GeoStreak = (function () {
  const hints = {
    touch: "Tap inside the country where you think the photo was taken, then tap Guess.",
    placed: "The country your pin is in is your answer: move it as often as you like. Enter or the button to guess.",
    placedTouch: "The country your pin is in is your answer: move it as often as you like, then tap Guess.",
  };
  const set = (id, text) => { document.getElementById(id).textContent = text; };
  const said = (side) => (side.right ? "✓ " : "✗ ") + (side.said || "no country");
  const inARow = (n) => GeoFormat.number(n) + " in a row";

  /* The reveal's streak block, shown: both answers, both streaks, and how the run ended if it did. */
  function show(s) {
    const you = s.player, ai = s.worldnet;
    set("you-km", said(you));
    set("you-points", GeoFormat.number(you.streak));
    set("you-points-unit", "in a row");
    const score = document.getElementById("score");
    score.dataset.total = String(you.streak);
    score.textContent = GeoFormat.number(you.streak);
    let text = you.right ? "Right: " + s.answer + "." : "Wrong: you said " + (you.said || "no country") + ", it was " + s.answer + ".";
    if (ai) {
      set("ai-km", said(ai));
      set("ai-points", ai.going ? inARow(ai.streak) : "its streak ended at " + GeoFormat.number(ai.streak));
      set("ai-streak", GeoFormat.number(ai.streak));
    }
    if (s.ended_by === "no_photos_left") text += " No photo is left: you named every one!";
    else if (s.ended_by) text += " Your streak ends at " + GeoFormat.number(you.streak) + ".";
    if (s.ended_by && ai) {
      text += ai.going ? " worldNET's streak is still going: " + GeoFormat.number(ai.streak) + "." : " worldNET's streak: " + GeoFormat.number(ai.streak) + ".";
    }
    const line = document.getElementById("streak-verdict");
    line.textContent = text;
    line.classList.toggle("won", you.right);
    line.classList.toggle("lost", !you.right);
  }

  return { hints, show };
})();
