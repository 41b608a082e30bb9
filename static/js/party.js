/* The party's page: one WebSocket (/ws/party/<code>/), and the page drawn again from each `state` frame.

   The server is the referee: the page shows what each frame says (docs/parties.md lists every field)
   and sends the player's few actions (start, guess, next, play again, remove, leave, tick). Its clocks
   run from the frame's deadlines, corrected for the offset between this machine's clock and the
   server's (the frame's `now`). A dropped connection comes back with a growing back-off; the first
   frame after it brings the page to where the party stands. Every name is inserted as text. */
"use strict";

(function () {
  const cfg = GeoMaps.config("party-config");
  const rules = GeoFormat.rules;
  const $ = (id) => document.getElementById(id);
  const root = $("party");
  const roundEl = $("round");
  const guessButton = $("guess");
  const hint = $("hint");
  const pmap = GeoPartyMap.create(cfg, "map");
  const viewer = GeoViewer.create($("viewer"));
  const street = $("street");
  const touchOnly = window.matchMedia("(pointer: coarse)").matches && !window.matchMedia("(any-pointer: fine)").matches;
  const PLACE_HINT = touchOnly ? "Tap the map to place your pin, then tap Guess." : "Click the map to place your pin, then Guess (or Enter).";

  let socket = null;
  let attempts = 0; // reconnections since the last frame
  let closedForGood = false;
  let state = null;
  let offset = 0; // the server's clock minus this machine's, in ms
  let roundKey = ""; // game and round shown: a new one clears the map
  let revealKey = ""; // what the reveal drawn holds: a change draws it again
  let scrolledTo = ""; // the round whose ended reveal a phone was scrolled to (once)
  let sentGuess = false;
  let ticked = "";
  let errorTimer = null;
  let removeArmed = null; // the host's first click on a player's remove button: { member: id, timer } (armRemove)
  let confirmMs = 6 * 1000; // how long a first click on Leave or on a player's remove button waits for the second

  const serverNow = () => Date.now() + offset;

  /* --- the connection --- */
  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + cfg.socketPath);
    socket.addEventListener("message", (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (problem) { return; }
      receive(frame);
    });
    socket.addEventListener("close", (event) => {
      socket = null;
      if (closedForGood) return;
      if (event.code === 4403) return gone("You are not in this party (anymore): the host may have removed you. Join it again from its link.");
      if (event.code === 4000) { window.location.href = cfg.homeUrl; return; }
      if (event.code === 4429) return gone("This party is open in too many of your tabs: close one, then reload this page.");
      attempts += 1;
      const delay = Math.min(10000, 500 * Math.pow(2, attempts - 1)) * (0.8 + 0.4 * Math.random());
      connection("The connection was lost: reconnecting…");
      setTimeout(connect, delay);
    });
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(message)); return true; }
    showError("Not connected to the party right now: try again in a moment.");
    return false;
  }

  function gone(message) {
    closedForGood = true;
    connection(message);
    root.dataset.phase = "gone";
    for (const id of ["lobby", "round", "standings"]) $(id).hidden = true;
  }

  function connection(message) {
    const line = $("connection");
    line.textContent = message || "";
    line.hidden = !message;
  }

  // How long an error stays on screen: long enough to read a sentence.
  const ERROR_SHOWN_MS = 7000;

  function showError(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(() => { box.hidden = true; }, ERROR_SHOWN_MS);
  }

  // Refusals the next state frame explains by itself (the round ended, or moved on).
  const QUIET = new Set(["time_up", "already_guessed", "wrong_round", "wrong_phase"]);

  function receive(frame) {
    if (frame.type === "state") {
      attempts = 0;
      connection("");
      offset = frame.now - Date.now();
      state = frame;
      render();
    } else if (frame.type === "error") {
      if (frame.code === "already_guessed" || frame.code === "time_up") sentGuess = true;
      else if (sentGuess && !(state && state.your_guess)) { sentGuess = false; renderRound(); }
      if (!QUIET.has(frame.code)) showError(frame.message);
    } else if (frame.type === "removed") {
      gone("The host removed you from this party.");
    } else if (frame.type === "left") {
      closedForGood = true;
      window.location.href = cfg.homeUrl;
    }
  }

  /* --- who is who --- */
  const me = () => state.members.find((m) => m.id === state.you) || {};
  const isHost = () => Boolean(me().host);
  function whoIs(id) {
    const index = state.members.findIndex((m) => m.id === id);
    const member = state.members[index];
    const others = state.members.filter((m) => m.id !== state.you && !m.worldnet);
    return member ? { name: member.name, worldnet: member.worldnet, slot: Math.max(0, others.indexOf(member)) } : { name: "a player who left", worldnet: false, slot: 0 };
  }

  /* --- drawing the state --- */
  function render() {
    const phase = state.party.phase;
    root.dataset.phase = phase;
    root.dataset.mode = state.party.mode;
    $("lobby").hidden = phase !== "lobby";
    $("standings").hidden = phase !== "finished";
    roundEl.hidden = !state.round;
    renderMembers();
    if (phase === "lobby") renderLobby();
    if (phase === "finished") renderStandings();
    if (state.round) renderRound();
    clock();
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function hearts(lives) {
    const most = rules.battleRoyaleLives;
    return "♥".repeat(Math.max(0, lives)) + "♡".repeat(Math.max(0, most - Math.max(0, lives)));
  }

  /* Each member's line: name, badges, their number in this mode, whether they have guessed; the host's Remove. */
  function memberItem(member, { compact }) {
    const mode = state.party.mode;
    const item = el("li", "member");
    item.dataset.member = String(member.id);
    item.classList.toggle("me", member.id === state.you);
    item.classList.toggle("worldnet", member.worldnet);
    item.classList.toggle("away", !member.connected || !member.present);
    item.classList.toggle("out", member.out);
    item.classList.toggle("guessed", member.guessed);
    item.append(el("span", "dot"), el("span", "name", member.name));
    if (member.id === state.you) item.append(el("span", "badge you", "you"));
    if (member.host) item.append(el("span", "badge host", "host"));
    if (member.worldnet) item.append(el("span", "badge ai", "AI"));
    if (!member.present) item.append(el("span", "badge gone", "left"));
    if (state.party.game_number && member.playing) {
      if (mode === "battle_royale" && member.lives !== null) item.append(el("span", "stat lives", member.out ? "out" : hearts(member.lives)));
      else if (mode === "duel" && member.health !== null) item.append(el("span", "stat", GeoFormat.number(member.health) + " hp"));
      else item.append(el("span", "stat", GeoFormat.number(member.total_points)));
    }
    if (state.party.phase === "round" && state.round && !state.round.ended && member.in_round) {
      item.append(el("span", "has-guessed", member.guessed ? "✓ guessed" : "guessing…"));
    }
    if (isHost() && member.id !== state.you && !member.worldnet && member.present) {
      const armed = removeArmed && removeArmed.member === member.id;
      const remove = el("button", armed ? "remove armed" : "remove", armed ? "Remove?" : compact ? "×" : "Remove");
      remove.type = "button";
      remove.dataset.label = compact ? "×" : "Remove"; // what it says again once no longer asking
      remove.dataset.name = member.name;
      remove.setAttribute("aria-label", armed ? "Click again to remove " + member.name : "Remove " + member.name);
      remove.addEventListener("click", () => armRemove(member, remove));
      item.append(remove);
    }
    return item;
  }

  function ranked(members) {
    const mode = state.party.mode;
    if (!state.party.game_number) return members;
    // Those still in first (a player who left, was removed or is out ranks after, whatever their numbers).
    const key = (m) => [m.out || !m.present ? 1 : 0, mode === "battle_royale" ? -(m.lives || 0) : mode === "duel" ? -(m.health || 0) : -m.total_points];
    return members.slice().sort((a, b) => {
      const ka = key(a), kb = key(b);
      return ka[0] - kb[0] || ka[1] - kb[1];
    });
  }

  function renderMembers() {
    const lobbyList = el("ul", "members");
    for (const member of state.members.filter((m) => m.present)) lobbyList.append(memberItem(member, { compact: false }));
    $("lobby-members").replaceChildren(lobbyList);
    const strip = el("ul", "members compact");
    for (const member of ranked(state.members.filter((m) => m.playing || m.present))) strip.append(memberItem(member, { compact: true }));
    $("table").replaceChildren(strip);
    const duel = $("duel-health");
    if (duel) {
      duel.replaceChildren();
      const sides = state.members.filter((m) => m.playing).sort((a, b) => (b.id === state.you) - (a.id === state.you));
      for (const member of sides.slice(0, 2)) {
        const side = el("div", "side " + (member.id === state.you ? "you" : "ai"));
        const track = el("span", "track");
        const fill = el("span", "fill");
        const health = member.health === null ? rules.startHealth : member.health;
        fill.style.width = Math.max(0, Math.min(100, (100 * health) / rules.startHealth)) + "%";
        track.append(fill);
        side.append(el("span", "who", member.id === state.you ? "You" : member.name), track, el("strong", "hp", GeoFormat.number(health)));
        duel.append(side);
      }
    }
  }

  const MODE_TEXT = { classic: "Party classic", battle_royale: "Battle royale (distance)", duel: "Duel" };

  function renderLobby() {
    const p = state.party;
    const parts = [MODE_TEXT[p.mode] || p.mode, p.time_limit + " s a round"];
    if (p.mode === "classic") parts.splice(1, 0, p.rounds + " rounds");
    if (p.mode === "battle_royale") parts.splice(1, 0, rules.battleRoyaleLives + " lives each");
    if (p.mode === "duel") parts.splice(1, 0, GeoFormat.number(rules.startHealth) + " health each");
    parts.push(p.worldnet_in ? "worldNET at the table" : "no worldNET");
    $("settings").textContent = parts.join(" · ");
    $("start").hidden = !isHost();
    $("waiting").hidden = isHost();
  }

  const ENDED_BY = {
    rounds_played: "All rounds played.", last_standing: "One player left standing.", knockout: "A knockout: one side has no health left.",
    forfeit: "A player left the duel.", no_photos_left: "No photo was left to play.", abandoned: "Every player left.",
  };

  function renderStandings() {
    const mode = state.party.mode;
    const rows = $("standing-rows");
    rows.replaceChildren();
    $("standing-head").textContent = mode === "duel" ? "Health" : mode === "battle_royale" ? "Lives · distance" : "Points";
    for (const s of state.standings || []) {
      const who = whoIs(s.member);
      const tr = el("tr");
      tr.classList.toggle("me", s.member === state.you);
      let value = GeoFormat.number(s.total_points);
      if (mode === "duel") value = GeoFormat.number(s.health);
      if (mode === "battle_royale") value = (s.out_at_round === null ? hearts(s.lives) : "out in round " + (s.out_at_round + 1)) + " · " + GeoFormat.km(s.total_distance_km);
      tr.append(el("td", "place", String(s.place)), el("td", "name", s.member === state.you ? who.name + " (you)" : who.name), el("td", "value", value));
      rows.append(tr);
    }
    const first = (state.standings || [])[0];
    const winners = (state.standings || []).filter((s) => s.place === 1);
    let verdict = "The game is over";
    if (first) verdict = winners.length > 1 ? "A tie for first place" : winners[0].member === state.you ? "You win!" : whoIs(first.member).name + " wins";
    $("verdict").textContent = verdict;
    $("ended-by").textContent = ENDED_BY[state.party.ended_by] || "";
    $("again").hidden = !isHost();
    $("again-waiting").hidden = isHost();
  }

  function renderRound() {
    const round = state.round;
    const key = state.party.game_number + ":" + round.index;
    if (key !== roundKey) {
      roundKey = key;
      revealKey = "";
      sentGuess = false;
      ticked = "";
      pmap.newRound();
      roundEl.classList.remove("revealed");
      if (round.image_url) street.src = round.image_url;
      $("viewer").hidden = !round.image_url;
    }
    const ended = round.ended;
    const guessed = Boolean(state.your_guess);
    const playing = round.in_it && !guessed && !ended && state.party.phase === "round";
    $("round-label").hidden = false;
    $("round-number").textContent = String(round.number);
    $("round-of").textContent = state.party.mode === "classic" ? "/" + state.party.rounds : "";
    const sitting = $("sitting-out");
    sitting.hidden = round.in_it || ended;
    sitting.textContent = me().out ? "You are out of this game: watch the others play on." : "You sit this round out: you play from the next game.";
    $("actions").hidden = !playing;
    pmap.setPlaceable(playing && !sentGuess);
    guessButton.disabled = !playing || sentGuess || !pmap.pin();
    if (playing && !pmap.pin()) hint.textContent = PLACE_HINT;
    if (state.reveal) {
      const r = state.reveal;
      const revealNow = [key, r.ended, r.guesses.length, Boolean(r.worldnet)].join(":");
      if (revealNow !== revealKey) {
        revealKey = revealNow;
        roundEl.classList.add("revealed");
        pmap.showReveal(r, state.you, whoIs);
        renderResults(r);
        if (r.ended && scrolledTo !== key && window.matchMedia("(max-width: 800px)").matches) {
          scrolledTo = key; // once a round: a player who scrolls away is left there
          $("map").scrollIntoView({ block: "start" }); // a phone: the answer and everyone's pins, as a game's reveal does
        }
      }
    }
    $("reveal").hidden = !state.reveal;
    // After one's own guess, until the round ends: one's own pin, and how many still guess; the answer, the
    // others' pins and worldNET's come only with the round's end (the server sends nothing of them before).
    const waiting = $("reveal-wait");
    const left = state.members.filter((m) => m.in_round && !m.guessed).length;
    waiting.hidden = ended || !guessed;
    waiting.textContent = left ? "Guess locked in. Waiting for " + left + " more to guess: the answer comes when the round ends." : "Everyone has guessed: the answer is coming.";
    if (guessed && !ended && !state.reveal && state.your_guess.lat !== null) {
      pmap.showOwn(state.your_guess.lat, state.your_guess.lon);
      hint.textContent = "";
    }
    $("next").hidden = !(isHost() && state.party.phase === "reveal");
  }

  function renderResults(reveal) {
    const mode = state.party.mode;
    const where = [reveal.place, reveal.country_name].filter(Boolean).join(", "); // "Mumbai, India", as a game's reveal says
    $("truth-place").textContent = where || reveal.truth.lat.toFixed(2) + ", " + reveal.truth.lon.toFixed(2);
    $("result-head").textContent = mode === "duel" ? "Points · damage" : mode === "battle_royale" ? "Lives" : "Points";
    const rows = $("results");
    rows.replaceChildren();
    const sorted = reveal.guesses.slice().sort((a, b) => (a.distance_km === null) - (b.distance_km === null) || a.distance_km - b.distance_km);
    for (const guess of sorted) {
      const who = whoIs(guess.member);
      const tr = el("tr");
      tr.classList.toggle("me", guess.member === state.you);
      let value = GeoFormat.number(guess.points);
      if (mode === "duel" && reveal.ended) value += guess.damage ? " · −" + GeoFormat.number(guess.damage) : "";
      if (mode === "battle_royale") value = reveal.ended ? (guess.lives === 0 ? "out" : hearts(guess.lives === null ? 0 : guess.lives)) + (guess.lost_life ? " (−1)" : "") : "…";
      tr.append(el("td", "name", guess.member === state.you ? "You" : who.name), el("td", "km", guess.timed_out ? "no guess" : GeoFormat.km(guess.distance_km)), el("td", "value", value));
      rows.append(tr);
    }
    const bars = $("ai-top");
    bars.replaceChildren();
    const candidates = reveal.worldnet ? reveal.worldnet.candidates || [] : [];
    if (candidates.length) bars.append(el("p", "bars-title", "worldNET's candidates:"));
    for (const candidate of candidates) {
      const row = el("div", "candidate");
      const label = el("span", "label", candidate.place);
      label.title = candidate.place;
      const track = el("span", "track");
      const fill = el("span", "fill");
      fill.style.width = Math.max(2, Math.round(candidate.probability * 100)) + "%";
      track.append(fill);
      row.append(label, track, el("span", "value", GeoFormat.percent(candidate.probability)));
      bars.append(row);
    }
  }

  /* --- the clocks: the round's (its deadline, or the countdown after the first guess), and the reveal's --- */
  function clock() {
    const timer = $("timer");
    if (!state) return;
    const phase = state.party.phase;
    const round = state.round;
    let text = "";
    let urgent = false;
    if (phase === "round" && round && !round.ended) {
      const ends = Math.min(round.deadline, round.countdown_until || Infinity);
      const left = Math.max(0, Math.ceil((ends - serverNow()) / 1000));
      text = (round.countdown_until && round.countdown_until <= round.deadline ? "⏱ " : "") + left + " s";
      urgent = left <= 10;
      if (left <= 0 && ticked !== roundKey) {
        ticked = roundKey;
        // A pin on the map when time runs out is the guess (the server still takes it within its grace).
        if (round.in_it && !state.your_guess && !sentGuess && pmap.pin()) submit();
        setTimeout(() => send({ type: "tick" }), 400);
      }
    } else if (phase === "reveal" && state.party.reveal_until) {
      const left = Math.max(0, Math.ceil((state.party.reveal_until - serverNow()) / 1000));
      text = "next in " + left + " s";
      $("next-in").textContent = "The next round starts in " + left + " s.";
    }
    if (phase !== "reveal") $("next-in").textContent = "";
    timer.hidden = !text;
    timer.textContent = text;
    timer.classList.toggle("urgent", urgent);
  }
  setInterval(clock, 250);

  /* --- the player's actions --- */
  pmap.onPlace(() => {
    guessButton.disabled = false;
    hint.textContent = touchOnly ? "Move the pin as often as you like, then tap Guess." : "Move the pin as often as you like. Enter or the button to guess.";
  });

  function submit() {
    const pin = pmap.pin();
    if (!pin || !state || !state.round || sentGuess) return;
    if (!send({ type: "guess", round: state.round.index, lat: pin.lat, lon: pin.lng })) return;
    sentGuess = true;
    guessButton.disabled = true;
    pmap.setPlaceable(false);
    hint.textContent = "Guess sent…";
  }
  guessButton.addEventListener("click", submit);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.tagName !== "BUTTON" && event.target.tagName !== "INPUT" && !guessButton.disabled && !$("actions").hidden) {
      event.preventDefault();
      submit();
      return;
    }
    if (event.target === document.body && !roundEl.hidden) viewer.onKey(event);
  });
  $("start").addEventListener("click", () => send({ type: "start" }));
  $("again").addEventListener("click", () => send({ type: "play_again" }));
  $("next").addEventListener("click", () => send({ type: "next" }));

  // Removing a player takes two clicks, as leaving does: the first asks, for a few seconds (the lists are drawn again
  // on every state, so which member is asked about is kept here, not on the button).
  function disarm(button) {
    button.classList.remove("armed");
    button.textContent = button.dataset.label;
    button.setAttribute("aria-label", "Remove " + button.dataset.name);
  }
  function armRemove(member, button) {
    if (removeArmed && removeArmed.member === member.id) {
      clearTimeout(removeArmed.timer);
      removeArmed = null;
      if (!send({ type: "remove", member: member.id })) disarm(button); // not sent: asked again from the start
      return;
    }
    if (removeArmed) clearTimeout(removeArmed.timer);
    document.querySelectorAll("button.remove.armed").forEach(disarm);
    removeArmed = {
      member: member.id,
      timer: setTimeout(() => {
        removeArmed = null;
        document.querySelectorAll("button.remove.armed").forEach(disarm);
      }, confirmMs),
    };
    button.textContent = "Remove?";
    button.classList.add("armed");
    button.setAttribute("aria-label", "Click again to remove " + member.name);
  }

  // Leaving takes two clicks: the first asks, for a few seconds.
  const leave = $("leave");
  let leaveArmed = null;
  leave.addEventListener("click", () => {
    if (leaveArmed) { clearTimeout(leaveArmed); send({ type: "leave" }); return; }
    leave.textContent = "Click again to leave";
    leave.classList.add("armed");
    leaveArmed = setTimeout(() => { leaveArmed = null; leave.textContent = "Leave the party"; leave.classList.remove("armed"); }, confirmMs);
  });

  $("copy").addEventListener("click", () => {
    const link = $("party-link");
    const done = () => { $("copy").textContent = "Copied"; setTimeout(() => { $("copy").textContent = "Copy"; }, 2000); };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(link.value).then(done, () => { link.select(); });
    else { link.select(); document.execCommand("copy"); done(); }
  });

  window.GeoRound = { map: pmap.map, viewer }; // for the browser tests: Leaflet's own idea of the map's size
  // For the browser tests: the last state, the clock's offset, and a dropped connection (as a network would drop it).
  window.GeoParty = {
    state: () => state,
    offset: () => offset,
    drop: () => socket && socket.close(1000),
    // For the browser tests: a two-click confirmation that waits as long as a loaded machine needs, or ends quickly.
    confirmFor: (seconds) => { confirmMs = seconds * 1000; },
  };
  connect();
})();
