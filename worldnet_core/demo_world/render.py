"""Draws one 800×600 street scene for a ``SceneStyle`` in a few milliseconds.

The camera stands in its lane (right lane where traffic keeps right, left lane
where it keeps left) looking down the road. Ground points at lateral offset ``X``
(in lane widths, the centre line at 0 and the kerbs at ±1) and distance ``z``
(1 at the bottom of the image) project to ``x = vx + (X - camera_x) * LANE_PX / z``
and ``y = horizon + (H - horizon) / z``; things ``h`` lanes tall are ``h * LANE_PX / z``
pixels tall. Everything is drawn far to near, so nearer things hide farther ones.

Nothing in a scene encodes its coordinates: it is all cues a person would read.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import TypeVar

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from worldnet_core.demo_world.styles import RGB, SceneStyle

T = TypeVar("T")

WIDTH, HEIGHT = 800, 600
#: The scenes were designed at 400×300; every length in pixels is written for that size and
#: multiplied by ``SCALE``, so the same seed draws the same scene at any resolution, only sharper
#: (and the random draws, hence the scene's content, do not depend on the size).
SCALE = WIDTH / 400
LANE_PX = 190.0 * SCALE  # a lane's width in pixels at z = 1
FLOOR = 0.85  # a storey, in lane widths (3 m against 3.5 m lanes)
FAR = 40.0  # the end of the street
WIRE_PX = max(1, round(SCALE))  # overhead wires and rain: one pixel at 400×300


@dataclass
class Camera:
    vx: float
    horizon: float
    x: float  # lateral position of the camera in lane widths

    def at(self, lateral: float, z: float) -> tuple[float, float]:
        return self.vx + (lateral - self.x) * LANE_PX / z, self.horizon + (HEIGHT - self.horizon) / z

    def size(self, units: float, z: float) -> float:
        return units * LANE_PX / z


@dataclass
class Conditions:
    sun_elevation: float  # degrees
    weather: str  # clear, cloudy, overcast, rain
    snowy: bool
    bare_trees: bool
    haze: float


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    red, green, blue = (int(a[i] + (b[i] - a[i]) * t) for i in range(3))
    return red, green, blue


def _shade(color: RGB, factor: float) -> RGB:
    red, green, blue = (int(min(255, max(0, c * factor))) for c in color)
    return red, green, blue


def _pick(rng: np.random.Generator, options: Sequence[T]) -> T:
    return options[int(rng.integers(len(options)))]


def _weighted(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def conditions_for(style: SceneStyle, rng: np.random.Generator) -> Conditions:
    """Season, time of day and weather of one image: the sun's height follows latitude."""
    lat = math.radians(style.place.lat)
    day = rng.uniform(0, 365)
    declination = math.radians(23.44) * math.sin(2 * math.pi * (day - 81) / 365)
    hour_angle = math.radians(rng.uniform(-70, 70))
    sin_elevation = math.sin(lat) * math.sin(declination) + math.cos(lat) * math.cos(declination) * math.cos(hour_angle)
    elevation = max(4.0, math.degrees(math.asin(max(-1.0, min(1.0, sin_elevation)))))
    climate = style.climate
    # Winter in the image's hemisphere: the sun is low at noon.
    winter_season = (declination < 0) == (style.place.lat > 0)
    snowy = winter_season and rng.random() < 2 * style.snow
    bare = winter_season and (snowy or rng.random() < 2 * style.winter)
    wet = 1.0 - climate.aridity
    cool = 1.0 / (1.0 + math.exp((climate.warmth - 12.0) / 3.0))
    weather = _weighted(
        rng,
        {
            "clear": 0.45 + 0.5 * climate.aridity,
            "cloudy": 0.3 + 0.2 * wet * (climate.warmth > 20),
            "overcast": 0.08 + 0.35 * wet * cool + (0.2 if snowy else 0.0),
            "rain": 0.04 + 0.08 * wet * cool,
        },
    )
    haze = float(np.clip(style.look.haze + rng.normal(0, 0.08), 0.0, 0.8))
    return Conditions(elevation, weather, snowy, bare, haze)


# --- sky and background -------------------------------------------------------------


def _sky(style: SceneStyle, cond: Conditions, horizon: int) -> tuple[np.ndarray, RGB]:
    """The sky gradient (rows 0..horizon) and the colour things fade into at the horizon."""
    high_sun = min(1.0, cond.sun_elevation / 60.0)
    polar = min(1.0, max(0.0, (abs(style.place.lat) - 35.0) / 30.0))
    if cond.weather in ("overcast", "rain"):
        grey = 150 + int(60 * high_sun) - (25 if cond.weather == "rain" else 0)
        top, bottom = (grey - 10, grey - 5, grey), (grey + 25, grey + 25, grey + 25)
    else:
        top = _mix((40, 95, 190), (120, 165, 215), 0.35 * polar + 0.4 * (1 - high_sun))
        bottom = _mix((200, 222, 240), (245, 205, 160), max(0.0, 0.6 - high_sun) * 1.2)
    ramp = np.linspace(0.0, 1.0, horizon, dtype=np.float32)[:, None, None] ** 1.4
    sky = np.asarray(top, np.float32) * (1 - ramp) + np.asarray(bottom, np.float32) * ramp
    # Cast one column, then repeat it: casting every pixel of the sky costs more than drawing it.
    return np.broadcast_to(sky.astype(np.uint8), (horizon, WIDTH, 3)), bottom


def _clouds(draw: ImageDraw.ImageDraw, rng: np.random.Generator, cond: Conditions, horizon: float) -> None:
    count = {"clear": int(rng.integers(0, 3)), "cloudy": int(rng.integers(4, 9))}.get(cond.weather, 0)
    for _ in range(count):
        cx, cy = rng.uniform(-30, 430) * SCALE, rng.uniform(5 * SCALE, horizon * 0.7)
        shade = int(rng.uniform(225, 252))
        for _ in range(int(rng.integers(3, 6))):
            w, h = rng.uniform(25, 70) * SCALE, rng.uniform(10, 22) * SCALE
            ox, oy = rng.normal(0, 22) * SCALE, rng.normal(0, 5) * SCALE
            draw.ellipse((cx + ox - w, cy + oy - h, cx + ox + w, cy + oy + h), fill=(shade, shade, shade + 2))


def _sun(draw: ImageDraw.ImageDraw, rng: np.random.Generator, cond: Conditions, horizon: float) -> None:
    if cond.weather not in ("clear", "cloudy"):
        return
    y = horizon * (1.0 - min(cond.sun_elevation, 60.0) / 60.0) - 6 * SCALE
    if y < 0 or rng.random() < 0.5:  # behind the camera half of the time
        return
    x, r = rng.uniform(20, 380) * SCALE, (9 + 5 * (cond.sun_elevation < 15)) * SCALE
    draw.ellipse((x - r * 2, y - r * 2, x + r * 2, y + r * 2), fill=(255, 245, 215))
    draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 253, 240))


# --- buildings ----------------------------------------------------------------------


def _facade(
    draw: ImageDraw.ImageDraw,
    cam: Camera,
    style: SceneStyle,
    rng: np.random.Generator,
    side: int,
    x_line: float,
    z1: float,
    z2: float,
    floors: int,
    snowy: bool,
) -> None:
    """One building's road-facing wall between distances z1 < z2, with windows and roof."""
    look = style.look
    wall = _pick(rng, look.buildings)
    height = floors * FLOOR + 0.3
    lateral = side * x_line
    (ax, ay), (bx, by) = cam.at(lateral, z1), cam.at(lateral, z2)
    ah, bh = cam.size(height, z1), cam.size(height, z2)
    draw.polygon([(ax, ay), (ax, ay - ah), (bx, by - bh), (bx, by)], fill=_shade(wall, 0.92 if side > 0 else 1.0))
    glass = _pick(rng, ((60, 70, 85), (45, 50, 60), (90, 110, 130), (40, 40, 45)))
    columns = max(1, int((z2 - z1) / 1.1))
    for floor in range(floors):
        lo, hi = floor * FLOOR + 0.25, floor * FLOOR + 0.62
        if cam.at(0, z1)[1] - cam.size(lo, z1) < -5 * SCALE and cam.at(0, z2)[1] - cam.size(lo, z2) < -5 * SCALE:
            break  # this floor and all above are out of the picture
        if floor == 0 and rng.random() < look.signage:
            sign = _pick(rng, ((200, 40, 40), (240, 200, 40), (30, 90, 170), (40, 140, 70), (240, 240, 240)))
            draw.polygon(
                [(ax, ay - cam.size(0.7, z1)), (ax, ay - cam.size(0.95, z1)), (bx, by - cam.size(0.95, z2)), (bx, by - cam.size(0.7, z2))],
                fill=sign,
            )
        draw.polygon(
            [(ax, ay - cam.size(lo, z1)), (ax, ay - cam.size(hi, z1)), (bx, by - cam.size(hi, z2)), (bx, by - cam.size(lo, z2))], fill=glass
        )
    for c in range(1, columns + 1):
        z = z1 + (z2 - z1) * c / (columns + 1)
        x, y = cam.at(lateral, z)
        draw.line([(x, y), (x, y - cam.size(height, z))], fill=wall, width=max(1, int(cam.size(0.25, z))))
    roof = _weighted(rng, look.roofs)
    top_a, top_b = ay - ah, by - bh
    roof_color = (235, 238, 242) if snowy else _pick(rng, look.roof_colors)
    if roof == "flat":
        draw.polygon([(ax, top_a), (ax, top_a - cam.size(0.15, z1)), (bx, top_b - cam.size(0.15, z2)), (bx, top_b)], fill=_shade(wall, 0.7))
    else:
        rise = 1.6 if roof == "pitched" else 0.9
        ridge = side * (x_line + 1.0)
        (rax, ray), (rbx, rby) = cam.at(ridge, z1), cam.at(ridge, z2)
        draw.polygon(
            [(ax, top_a), (rax, ray - cam.size(height + rise, z1)), (rbx, rby - cam.size(height + rise, z2)), (bx, top_b)], fill=roof_color
        )


def _street_end(draw: ImageDraw.ImageDraw, cam: Camera, style: SceneStyle, rng: np.random.Generator, fade: RGB) -> None:
    """The skyline where the street ends: taller and denser in bigger cities."""
    if style.place.size < 2 and rng.random() < 0.6:
        return
    lo_floors, hi_floors = style.look.floors
    top_floors = lo_floors + (hi_floors - lo_floors) * style.place.size / 3
    x = cam.at(-8, FAR)[0]
    end = cam.at(8, FAR)[0]
    ground = cam.at(0, FAR)[1]
    while x < end:
        w = cam.size(rng.uniform(2, 6), FAR)
        h = cam.size(rng.uniform(lo_floors, top_floors) * FLOOR, FAR) * rng.uniform(0.5, 1.0)
        draw.rectangle((x, ground - h, x + w, ground), fill=_mix(_pick(rng, style.look.buildings), fade, 0.55))
        x += w


# --- roadside objects ---------------------------------------------------------------


def _tree(draw: ImageDraw.ImageDraw, cam: Camera, rng: np.random.Generator, kind: str, lateral: float, z: float, cond: Conditions) -> None:
    x, y = cam.at(lateral, z)
    s = cam.size(1.0, z) * rng.uniform(0.8, 1.25)
    trunk = (95, 75, 55)
    if kind == "palm":
        top = (x + s * rng.normal(0, 0.15), y - 3.2 * s)
        draw.line([(x, y), top], fill=(120, 100, 75), width=max(1, int(s * 0.12)))
        green = _pick(rng, ((60, 110, 45), (80, 125, 50), (50, 95, 40)))
        for angle in np.linspace(0, 2 * math.pi, 8, endpoint=False) + rng.uniform(0, 1):
            end = (top[0] + math.cos(angle) * s * 1.0, top[1] + abs(math.sin(angle)) * s * 0.45 - s * 0.15 * math.cos(2 * angle))
            draw.line([top, end], fill=green, width=max(1, int(s * 0.14)))
    elif kind == "conifer":
        draw.line([(x, y), (x, y - s * 0.6)], fill=trunk, width=max(1, int(s * 0.12)))
        green = (235, 240, 245) if cond.snowy and rng.random() < 0.4 else _pick(rng, ((35, 70, 45), (45, 80, 50), (30, 60, 40)))
        for level in range(3):
            base, width = y - s * (0.4 + level * 0.65), s * (0.75 - level * 0.18)
            draw.polygon([(x - width, base), (x + width, base), (x, base - s * 1.1)], fill=green)
    elif kind in ("deciduous", "broadleaf"):
        draw.line([(x, y), (x, y - s * 1.3)], fill=trunk, width=max(1, int(s * 0.13)))
        if kind == "deciduous" and cond.bare_trees:
            for angle in (-0.9, -0.4, 0.0, 0.5, 1.0):
                draw.line(
                    [(x, y - s * 1.1), (x + math.sin(angle) * s * 0.9, y - s * (1.3 + math.cos(angle) * 0.9))],
                    fill=(85, 70, 60),
                    width=max(1, int(s * 0.05)),
                )
            return
        green = _pick(
            rng, ((70, 120, 50), (90, 130, 55), (60, 100, 45)) if kind == "deciduous" else ((30, 100, 40), (40, 120, 45), (25, 85, 35))
        )
        w, h = s * (0.8 if kind == "deciduous" else 1.1), s * (0.75 if kind == "deciduous" else 0.6)
        draw.ellipse((x - w, y - s * 1.3 - h * 1.4, x + w, y - s * 1.3 + h * 0.4), fill=green)
    elif kind == "cactus":
        green = (70, 110, 60)
        draw.line([(x, y), (x, y - s * 1.6)], fill=green, width=max(1, int(s * 0.22)))
        for arm in (-1, 1):
            ay = y - s * rng.uniform(0.6, 1.1)
            draw.line([(x, ay), (x + arm * s * 0.35, ay), (x + arm * s * 0.35, ay - s * 0.5)], fill=green, width=max(1, int(s * 0.16)))
    else:  # shrub
        color = _pick(rng, ((120, 120, 70), (100, 110, 60), (140, 130, 90)))
        draw.ellipse((x - s * 0.45, y - s * 0.45, x + s * 0.45, y + s * 0.05), fill=color)


def _pole_line(draw: ImageDraw.ImageDraw, cam: Camera, rng: np.random.Generator, style: SceneStyle, side: int) -> None:
    """Utility poles with overhead wires sagging between them."""
    color = _pick(rng, ((110, 90, 70), (150, 150, 150), (90, 90, 95)))
    lateral, spacing = side * rng.uniform(1.35, 1.6), rng.uniform(4.0, 8.0)
    zs = list(np.arange(rng.uniform(0.8, 2.5), FAR, spacing))
    tops = []
    for z in reversed(zs):
        x, y = cam.at(lateral, z)
        top = y - cam.size(3.0, z)
        draw.line([(x, y), (x, top)], fill=color, width=max(1, int(cam.size(0.09, z))))
        draw.line(
            [(x - cam.size(0.4, z), top + cam.size(0.2, z)), (x + cam.size(0.4, z), top + cam.size(0.2, z))],
            fill=color,
            width=max(1, int(cam.size(0.05, z))),
        )
        tops.append((x, top, z))
    tops.reverse()
    for wire in range(style.look.wires):
        drop = 0.2 + 0.12 * wire
        for (x1, y1, z1), (x2, y2, z2) in itertools.pairwise(tops):
            sag = cam.size(0.3, (z1 + z2) / 2)
            mid = ((x1 + x2) / 2, (y1 + y2) / 2 + cam.size(drop, (z1 + z2) / 2) + sag)
            draw.line([(x1, y1 + cam.size(drop, z1)), mid, (x2, y2 + cam.size(drop, z2))], fill=(35, 35, 35), width=WIRE_PX)
        if tops:  # wires running out of the picture over the camera
            x1, y1, z1 = tops[0]
            draw.line([(x1, y1 + cam.size(drop, z1)), (x1 - side * 80 * SCALE, -5 * SCALE)], fill=(35, 35, 35), width=WIRE_PX)


def _sign_beside(draw: ImageDraw.ImageDraw, cam: Camera, rng: np.random.Generator, style: SceneStyle, side: int, z: float) -> None:
    """A sign on the kerb of ``side`` (1 right, -1 left), a little off it."""
    _sign(draw, cam, rng, style, side * rng.uniform(1.15, 1.45), z)


def _sign(draw: ImageDraw.ImageDraw, cam: Camera, rng: np.random.Generator, style: SceneStyle, lateral: float, z: float) -> None:
    x, y = cam.at(lateral, z)
    s = cam.size(0.55, z)
    pole_top = y - cam.size(2.0, z)
    draw.line([(x, y), (x, pole_top)], fill=(150, 150, 155), width=max(1, int(s * 0.12)))
    kind = style.look.warning_sign if rng.random() < 0.55 else style.look.speed_sign
    cx, cy = x, pole_top - s * 0.5
    if kind == "diamond_yellow":
        draw.polygon([(cx, cy - s), (cx + s, cy), (cx, cy + s), (cx - s, cy)], fill=(240, 200, 30), outline=(20, 20, 20), width=WIRE_PX)
        draw.line([(cx - s * 0.3, cy + s * 0.2), (cx + s * 0.3, cy - s * 0.2)], fill=(20, 20, 20), width=max(1, int(s * 0.15)))
    elif kind in ("triangle_white", "triangle_yellow"):
        fill = (245, 205, 40) if kind == "triangle_yellow" else (245, 245, 245)
        draw.polygon([(cx, cy - s), (cx + s, cy + s * 0.75), (cx - s, cy + s * 0.75)], fill=(200, 30, 35))
        draw.polygon([(cx, cy - s * 0.55), (cx + s * 0.62, cy + s * 0.5), (cx - s * 0.62, cy + s * 0.5)], fill=fill)
    elif kind == "rect_white":
        draw.rectangle((cx - s * 0.7, cy - s, cx + s * 0.7, cy + s), fill=(245, 245, 245), outline=(20, 20, 20), width=WIRE_PX)
        for row in (-0.5, 0.0, 0.5):
            draw.line([(cx - s * 0.45, cy + s * row), (cx + s * 0.45, cy + s * row)], fill=(30, 30, 30), width=max(1, int(s * 0.12)))
    else:  # round_red
        draw.ellipse((cx - s, cy - s, cx + s, cy + s), fill=(200, 30, 35))
        draw.ellipse((cx - s * 0.72, cy - s * 0.72, cx + s * 0.72, cy + s * 0.72), fill=(245, 245, 245))
        draw.line([(cx - s * 0.3, cy), (cx + s * 0.3, cy)], fill=(20, 20, 20), width=max(1, int(s * 0.3)))


def _bollard(draw: ImageDraw.ImageDraw, cam: Camera, colors: tuple[RGB, RGB], lateral: float, z: float) -> None:
    x, y = cam.at(lateral, z)
    w, h = cam.size(0.07, z), cam.size(0.4, z)
    body, band = colors
    draw.rectangle((x - w, y - h, x + w, y), fill=body)
    draw.rectangle((x - w, y - h * 0.85, x + w, y - h * 0.65), fill=band)


def _car(
    draw: ImageDraw.ImageDraw, cam: Camera, rng: np.random.Generator, style: SceneStyle, lateral: float, z: float, facing_away: bool
) -> None:
    """A car seen from behind (with its rear plate) or from the front (headlights)."""
    width_units, height_units = style.look.car_size
    width_units *= rng.uniform(0.9, 1.1)
    height_units *= rng.uniform(0.9, 1.15)
    x, y = cam.at(lateral, z)
    w, h = cam.size(width_units, z) / 2, cam.size(height_units, z)
    body = _pick(rng, style.look.car_colors)
    draw.rectangle((x - w * 0.9, y - h * 0.08, x - w * 0.55, y), fill=(20, 20, 20))
    draw.rectangle((x + w * 0.55, y - h * 0.08, x + w * 0.9, y), fill=(20, 20, 20))
    draw.rectangle((x - w, y - h * 0.55, x + w, y - h * 0.08), fill=body)
    draw.polygon(
        [(x - w * 0.85, y - h * 0.55), (x - w * 0.65, y - h), (x + w * 0.65, y - h), (x + w * 0.85, y - h * 0.55)], fill=_shade(body, 0.9)
    )
    draw.polygon(
        [(x - w * 0.75, y - h * 0.58), (x - w * 0.6, y - h * 0.92), (x + w * 0.6, y - h * 0.92), (x + w * 0.75, y - h * 0.58)],
        fill=(45, 55, 65),
    )
    lamp = (190, 20, 25) if facing_away else (245, 240, 215)
    draw.rectangle((x - w * 0.95, y - h * 0.45, x - w * 0.7, y - h * 0.33), fill=lamp)
    draw.rectangle((x + w * 0.7, y - h * 0.45, x + w * 0.95, y - h * 0.33), fill=lamp)
    plate = style.plate
    if facing_away or plate.background != (246, 200, 40):  # British front plates are white
        background = plate.background if facing_away else (240, 240, 240) if plate.background == (246, 200, 40) else plate.background
        ph = max(1.0, w * 0.42 / plate.aspect * 1.2)
        pw = ph * plate.aspect / 2
        top, bottom = y - h * 0.3, y - h * 0.3 + ph
        draw.rectangle((x - pw, top, x + pw, bottom), fill=background)
        if plate.strip and pw > 3:
            if plate.strip_on_top:
                draw.rectangle((x - pw, top, x + pw, top + ph * 0.28), fill=plate.strip)
            else:
                draw.rectangle((x - pw, top, x - pw + pw * 0.2, bottom), fill=plate.strip)
        if pw > 4:
            draw.line(
                [(x - pw * 0.6, (top + bottom) / 2), (x + pw * 0.7, (top + bottom) / 2)], fill=plate.text, width=max(1, int(ph * 0.4))
            )


def _clutter(draw: ImageDraw.ImageDraw, cam: Camera, rng: np.random.Generator, lateral: float, z: float) -> None:
    """Bins, boxes, planters: things that make every street a little different."""
    x, y = cam.at(lateral, z)
    w, h = cam.size(rng.uniform(0.1, 0.35), z), cam.size(rng.uniform(0.2, 0.5), z)
    color = _pick(rng, ((40, 90, 50), (60, 60, 65), (150, 120, 80), (30, 60, 120), (180, 170, 150), (170, 60, 40)))
    draw.rectangle((x - w, y - h, x + w, y), fill=color)


# --- the road -----------------------------------------------------------------------


def _quad(cam: Camera, left: float, right: float, z1: float, z2: float) -> list[tuple[float, float]]:
    return [cam.at(left, z1), cam.at(right, z1), cam.at(right, z2), cam.at(left, z2)]


def _road(
    draw: ImageDraw.ImageDraw, cam: Camera, rng: np.random.Generator, style: SceneStyle, cond: Conditions, verge: RGB, fade: RGB
) -> float:
    """Verges, pavements, kerbs, asphalt and markings; returns where the pavement ends."""
    near, far = 0.5, FAR
    asphalt = _shade(style.look.asphalt, rng.uniform(0.9, 1.1))
    dirt = rng.random() < style.look.dirt_shoulder
    pavement_out = 1.0 if dirt else rng.uniform(1.4, 1.8)
    draw.polygon(_quad(cam, -60, 60, near, far), fill=verge)
    if not dirt:
        sidewalk = (228, 230, 235) if cond.snowy else style.look.sidewalk
        draw.polygon(_quad(cam, -pavement_out, pavement_out, near, far), fill=sidewalk)
    edge = 1.0 + (rng.uniform(0.0, 0.3) if dirt else 0.0)
    draw.polygon(_quad(cam, -edge, edge, near, far), fill=asphalt)
    if cond.snowy:  # slush along the edges
        for side in (-1, 1):
            draw.polygon(_quad(cam, side * edge, side * (edge - 0.18), near, far), fill=(205, 208, 212))
    if not dirt:
        step = 1.2
        for side in (-1, 1):
            if style.kerb:
                z = near
                for i in range(int((far - near) / step)):
                    z2 = z + step
                    draw.polygon(_quad(cam, side * 1.0, side * 1.06, z, z2), fill=style.kerb[i % 2])
                    z = z2
            else:
                draw.polygon(_quad(cam, side * 1.0, side * 1.05, near, far), fill=_shade(style.look.sidewalk, 0.8))
    if rng.random() < 0.9:
        width = 0.05
        if style.double_center_line:
            for offset in (-0.06, 0.06):
                draw.polygon(_quad(cam, offset - width / 2, offset + width / 2, near, far), fill=style.center_line)
        elif rng.random() < 0.35:
            draw.polygon(_quad(cam, -width / 2, width / 2, near, far), fill=style.center_line)
        else:
            z = near + rng.uniform(0, 3)
            while z < far:
                draw.polygon(_quad(cam, -width / 2, width / 2, z, z + 1.5), fill=style.center_line)
                z += 3.5
        if rng.random() < 0.5 and not dirt:
            for side in (-1, 1):
                draw.polygon(_quad(cam, side * 0.9, side * 0.94, near, far), fill=(220, 220, 215))
    # The far end of the road melts into the haze.
    draw.polygon(_quad(cam, -60, 60, FAR * 0.8, FAR * 50), fill=_mix(verge, fade, 0.5))
    return pavement_out


# --- the whole scene ----------------------------------------------------------------

#: Grain is stored as 8-bit: 128 + NOISE_STEPS * a standard normal value (clipped at ±8 sigma).
NOISE_STEPS = 16


@cache
def _noise_tile() -> Image.Image:
    """A fixed noise texture; each image takes a random window of it (cheap grain)."""
    noise = np.random.default_rng(12345).normal(0, 1, (HEIGHT * 2, WIDTH * 2))
    return Image.fromarray(np.clip(np.rint(128 + NOISE_STEPS * noise), 0, 255).astype(np.uint8), mode="L")


def render_scene(style: SceneStyle, rng: np.random.Generator) -> Image.Image:
    """One street-level image of ``style.place``; all randomness comes from ``rng``."""
    cond = conditions_for(style, rng)
    horizon = int(rng.uniform(112, 150) * SCALE)
    lane_x = rng.uniform(0.35, 0.6) * (-1 if style.left_hand else 1)
    cam = Camera(vx=float(np.clip(rng.normal(200, 30), 120, 280)) * SCALE, horizon=horizon, x=lane_x)
    sky, fade = _sky(style, cond, horizon)
    canvas = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    canvas[:horizon] = sky
    verge = (232, 235, 240) if cond.snowy else style.verge
    canvas[horizon:] = verge
    image = Image.fromarray(canvas)
    draw = ImageDraw.Draw(image)
    _sun(draw, rng, cond, horizon)
    _clouds(draw, rng, cond, horizon)
    _street_end(draw, cam, style, rng, fade)
    pavement_out = _road(draw, cam, rng, style, cond, verge, fade)

    # Everything standing along the street, drawn far to near.
    items: list[tuple[float, Callable[[], None]]] = []
    lo_floors, hi_floors = style.look.floors
    max_floors = max(lo_floors, int(lo_floors + (hi_floors - lo_floors) * (style.place.size / 3) ** 2))
    for side in (-1, 1):
        if rng.random() < 0.12 * (4 - style.place.size):
            continue  # an open side: a park, a car park, a field
        x_line = pavement_out + rng.uniform(0.0, 0.6 if style.place.size == 3 else 2.0)
        z = rng.uniform(0.4, 1.2)
        while z < FAR * 0.8:
            length = rng.uniform(2.0, 7.0) * (1.3 if style.place.size == 1 else 1.0)
            if rng.random() < 0.85 * style.building_density:
                floors = int(rng.integers(lo_floors, max_floors + 1))
                items.append((z + length, partial(_facade, draw, cam, style, rng, side, x_line, z, z + length, floors, cond.snowy)))
            z += length + (rng.uniform(0.5, 3.0) if rng.random() < 0.3 else 0.0)
    for _ in range(int(rng.poisson(7 * style.tree_density))):
        side, z = _pick(rng, (-1, 1)), rng.uniform(0.9, FAR * 0.6)
        kind = _weighted(rng, style.vegetation)
        lateral = side * rng.uniform(1.15, pavement_out + 0.3)
        items.append((z, partial(_tree, draw, cam, rng, kind, lateral, z, cond)))
    for _ in range(int(rng.poisson(3))):
        side, z = _pick(rng, (-1, 1)), rng.uniform(1.0, 20.0)
        items.append((z, partial(_clutter, draw, cam, rng, side * rng.uniform(1.1, pavement_out + 0.5), z)))
    drive_side = -1 if style.left_hand else 1
    for _ in range(int(rng.integers(0, 3))):
        z = rng.uniform(1.5, 12.0)
        # The sign's offset is drawn when it is painted (the generator's order keeps the images as they were).
        items.append((z, partial(_sign_beside, draw, cam, rng, style, drive_side, z)))
    if style.bollards and rng.random() < 0.8:
        spacing = rng.uniform(2.0, 5.0)
        for z in np.arange(rng.uniform(1.0, 3.0), 25.0, spacing):
            for side in (-1, 1):
                items.append((float(z), partial(_bollard, draw, cam, style.bollards, side * 1.12, float(z))))
    for _ in range(int(rng.integers(0, 4))):
        z = rng.uniform(2.2, 25.0)
        roll = rng.random()
        if roll < 0.45:  # ahead of us in our lane or the next: their rear plates
            lateral, away = drive_side * rng.uniform(0.35, 0.6), True
        elif roll < 0.8:  # oncoming, on the other side of the centre line
            lateral, away = -drive_side * rng.uniform(0.35, 0.6), False
        else:  # parked at the kerb
            lateral, away = _pick(rng, (-1, 1)) * 0.8, bool(rng.random() < 0.5)
        items.append((z, partial(_car, draw, cam, rng, style, lateral, z, away)))
    items.sort(key=lambda item: -item[0])
    for _, paint in items:
        paint()
    if rng.random() < style.look.poles:
        _pole_line(draw, cam, rng, style, _pick(rng, (-1, 1)))
    return _light(image, style, cond, rng, horizon, fade)


def _light(image: Image.Image, style: SceneStyle, cond: Conditions, rng: np.random.Generator, horizon: int, fade: RGB) -> Image.Image:
    """Exposure and colour of the light, haze towards the horizon, rain and sensor grain.

    Done with Pillow's 8-bit operations (lookup tables, composite, add) rather than float
    arrays: at 800×600 the float version was most of a scene's time, because NumPy
    broadcasts over a last axis of 3 slowly.
    """
    low_sun = max(0.0, 1.0 - cond.sun_elevation / 35.0)
    gain = {"clear": 1.0, "cloudy": 0.95, "overcast": 0.82, "rain": 0.72}[cond.weather] * (
        0.85 + 0.15 * min(1.0, cond.sun_elevation / 30.0)
    )
    tint = np.array([1.0 + 0.12 * low_sun, 1.0 + 0.02 * low_sun, 1.0 - 0.12 * low_sun]) * gain * rng.uniform(0.92, 1.08)
    levels = np.arange(256)
    image = image.point(np.clip(levels[None, :] * tint[:, None], 0, 255).astype(np.uint8).ravel().tolist())
    # Haze: strongest at the horizon, fading above and below it.
    rows = np.arange(HEIGHT, dtype=np.float64)
    weight = cond.haze * np.exp(-np.abs(rows - horizon) / ((35.0 + 60.0 * cond.haze) * SCALE))
    haze_color = _mix(fade, (200, 190, 160) if style.climate.aridity > 0.4 else (210, 210, 205), 0.5)
    mask = Image.fromarray(np.broadcast_to(np.rint(weight * 255).astype(np.uint8)[:, None], (HEIGHT, WIDTH)), mode="L")
    image = Image.composite(Image.new("RGB", image.size, haze_color), image, mask)
    # Grain: the same window of noise on every channel, scaled by a lookup table; add() offsets it back by 128.
    oy, ox = int(rng.integers(0, HEIGHT)), int(rng.integers(0, WIDTH))
    amplitude = rng.uniform(2.0, 6.0)
    grain = (
        _noise_tile()
        .crop((ox, oy, ox + WIDTH, oy + HEIGHT))
        .point(np.clip(np.rint(128 + (levels - 128) * amplitude / NOISE_STEPS), 0, 255).astype(np.uint8).tolist())
    )
    image = ImageChops.add(image, Image.merge("RGB", (grain, grain, grain)), 1.0, -128)
    if cond.weather == "rain":
        # As many streaks as at 400×300, each as long and as wide as there.
        pixels = np.asarray(image).copy()
        streak = int(12 * SCALE)
        streaks = rng.integers(0, WIDTH - WIRE_PX + 1, 120)
        for x in streaks:
            y = int(rng.integers(0, HEIGHT - streak))
            window = pixels[y : y + streak, x : x + WIRE_PX]
            window[...] = np.minimum(window.astype(np.int16) + 25, 255)
        image = Image.fromarray(pixels)
    return image
