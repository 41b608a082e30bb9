/* A duel's round, beside round.js: the health bars, worldNET locking in (then the countdown), the damage.

   The page never knows when worldNET will lock in: that time follows from how sure it is, which
   is part of its guess. It asks the server once a second whether it has (stateUrl), and only
   then learns the seconds left; the server enforces the same deadline. */
"use strict";

window.GeoDuel = (function () {
  const strip = document.getElementById("duel-health");
  const start = GeoFormat.rules.startHealth;
  const fills = { player: strip.querySelector(".you .fill"), worldnet: strip.querySelector(".ai .fill") };
  const numbers = { player: document.getElementById("hp-you"), worldnet: document.getElementById("hp-ai") };
  const share = (health) => Math.max(0, Math.min(100, (100 * health) / start)) + "%";
  let revealed = false; // the round is over for this page: no more asking

  // Widths from data attributes: the CSP allows no inline style in the page.
  for (const fill of Object.values(fills)) fill.style.width = share(Number(fill.dataset.health));

  /* Polls until worldNET locks in (or the player has guessed), then runs round.js's countdown. */
  function watch(cfg, round) {
    const lock = document.getElementById("lock");
    const locked = (secondsLeft) => {
      lock.classList.add("locked");
      round.countdown(secondsLeft, (left) => {
        lock.textContent = "worldNET has locked in: " + left + " s to guess";
        lock.classList.toggle("urgent", left <= 5);
      });
    };
    let failures = 0;
    const poll = () => {
      if (revealed) return;
      if (round.isDone()) { setTimeout(poll, 1000); return; } // a guess on its way; if it fails, the clock still matters
      fetch(cfg.stateUrl, { cache: "no-store" })
        .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
        .then(({ ok, body: state }) => {
          if (!ok) {  // refused (by its code): the page is behind the game, or the game is not this session's
            if (round.onRefusal(state.error) === "reload") window.location.href = cfg.nextUrl;
            else lock.textContent = (state.error && state.error.message) || "The duel cannot be followed here.";
            return;
          }
          failures = 0;
          if (revealed || state.guessed) return;
          if (state.locked) locked(state.seconds_left);
          else setTimeout(poll, 1000);
        })
        .catch(() => {
          failures += 1;
          lock.textContent = "The server could not be reached; trying again…";
          setTimeout(poll, Math.min(8000, 1000 * Math.pow(1.5, failures)));
        });
    };
    if (cfg.locked && cfg.secondsLeft !== null) locked(cfg.secondsLeft);
    else poll();
  }

  /* Health from before the round to after it, in about a second; the damage in words. */
  function animate(side, from, to) {
    const fill = fills[side];
    fill.classList.remove("animated");
    fill.style.width = share(from);
    void fill.offsetWidth; // the start width is laid out before the transition runs
    fill.classList.add("animated");
    fill.style.width = share(to);
    fill.classList.toggle("hit", to < from);
    const began = performance.now();
    const step = (now) => {
      const t = Math.min(1, (now - began) / 1000);
      numbers[side].textContent = GeoFormat.number(from + (to - from) * t);
      if (t < 1) requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  function damageText(d) {
    const times = d.multiplier === 1 ? "" : " (×" + d.multiplier + ")";
    let text = "Same score: no damage.";
    const side = d.damage.worldnet ? "worldnet" : d.damage.player ? "player" : null;
    if (side) {
      const dealt = d.damage[side], lost = d.health_before[side] - d.health[side];
      const who = side === "worldnet" ? ["worldNET loses", "its"] : ["You lose", "your"];
      // Health stops at 0: a hit bigger than what is left says so, rather than taking more than there was.
      text = lost < dealt
        ? who[0] + " " + who[1] + " last " + GeoFormat.number(lost) + " health (a hit of " + GeoFormat.number(dealt) + (d.multiplier === 1 ? "" : ", ×" + d.multiplier) + ")."
        : who[0] + " " + GeoFormat.number(dealt) + " health" + times + ".";
    }
    if (d.over) {
      const end = { player: " You win the duel!", worldnet: " worldNET wins the duel.", draw: " The duel ends in a draw." };
      text += (d.ended_by === "no_photos_left" ? " No photo is left." : "") + end[d.winner];
    }
    return text;
  }

  function reveal(d) {
    revealed = true;
    animate("player", d.health_before.player, d.health.player);
    animate("worldnet", d.health_before.worldnet, d.health.worldnet);
    const line = document.getElementById("duel-damage");
    line.textContent = damageText(d);
    line.classList.toggle("won", d.damage.worldnet > 0);
    line.classList.toggle("lost", d.damage.player > 0);
    document.getElementById("lock").hidden = true;
  }

  return { watch, reveal };
})();
