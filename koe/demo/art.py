"""Pictures for the demo, drawn with Pillow from a seed: the same seed gives the same picture.

Each is returned as JPEG or PNG bytes, ready to go through Koe's real upload pipeline.
"""

from __future__ import annotations

import colorsys
import io
import math
import random
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

Colour = tuple[int, int, int]
PHOTO_SIZE = (960, 640)
HEADER_SIZE = (1500, 420)
AVATAR_SIZE = 256

_CJK_FONTS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/System/Library/Fonts/ヒラギノ角ゴシック W6.ttc",
]
_LATIN_FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/Library/Fonts/Arial Bold.ttf",
]


def _hsv(h: float, s: float, v: float) -> Colour:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return int(r * 255), int(g * 255), int(b * 255)


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    return tuple(int(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _gradient(size: tuple[int, int], top: Colour, bottom: Colour) -> Image.Image:
    ramp = Image.linear_gradient("L").resize(size)
    return ImageOps.colorize(ramp, top, bottom)


def _bytes(image: Image.Image, fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, format="JPEG", quality=88)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


# ### Scenes ###

# Sky top, sky at the horizon, sun, and the nearest ridge; the far ridges are mixed toward the sky.
_SKIES = [
    ((70, 130, 200), (190, 220, 240), (255, 250, 225), (40, 90, 60)),  # day
    ((40, 40, 90), (250, 150, 110), (255, 215, 150), (40, 30, 60)),  # dusk
    ((120, 170, 220), (245, 210, 190), (255, 240, 210), (120, 60, 40)),  # autumn morning
    ((15, 20, 50), (60, 70, 120), (240, 240, 220), (10, 15, 30)),  # night
    ((150, 190, 210), (230, 235, 230), (255, 255, 245), (70, 100, 110)),  # mist
]


def _ridge(draw, rng, width, height, base, roughness, colour):
    points, y = [], base
    for x in range(0, width + 40, 40):
        y = min(height, max(height * 0.2, y + rng.uniform(-roughness, roughness)))
        points.append((x, y))
    draw.polygon([(0, height), *points, (width, height)], fill=colour)


def landscape(rng: random.Random, size=PHOTO_SIZE) -> Image.Image:
    w, h = size
    sky_top, horizon, sun, near = rng.choice(_SKIES)
    image = _gradient(size, sky_top, horizon)
    draw = ImageDraw.Draw(image)
    sx, sy, r = rng.uniform(0.15, 0.85) * w, rng.uniform(0.15, 0.45) * h, rng.uniform(25, 55)
    draw.ellipse((sx - r, sy - r, sx + r, sy + r), fill=sun)
    for i, depth in enumerate((0.45, 0.58, 0.72)):
        colour = _mix(horizon, near, 0.35 + 0.3 * i)
        _ridge(draw, rng, w, h, depth * h, 28 - 6 * i, colour)
    if rng.random() < 0.5:  # a lake in front, with the light on it
        top = int(h * 0.82)
        draw.rectangle((0, top, w, h), fill=_mix(sky_top, near, 0.4))
        for _ in range(14):
            y = rng.uniform(top + 4, h - 4)
            half = rng.uniform(10, 60)
            draw.line((sx - half, y, sx + half, y), fill=_mix(sun, sky_top, 0.3), width=2)
    return image.filter(ImageFilter.SMOOTH)


def sunset(rng: random.Random, size=PHOTO_SIZE) -> Image.Image:
    w, h = size
    hue = rng.uniform(0.0, 0.12)
    image = _gradient(size, _hsv(hue + 0.75, 0.6, 0.35), _hsv(hue, 0.7, 1.0))
    draw = ImageDraw.Draw(image)
    sea = int(h * rng.uniform(0.6, 0.7))
    r = rng.uniform(50, 90)
    cx = rng.uniform(0.3, 0.7) * w
    draw.ellipse((cx - r, sea - r, cx + r, sea + r), fill=_hsv(hue + 0.1, 0.5, 1.0))
    draw.rectangle((0, sea, w, h), fill=_hsv(hue + 0.7, 0.5, 0.3))
    for i in range(18):
        y = sea + 6 + i * (h - sea) / 18
        half = r * (1.2 - i / 20) * rng.uniform(0.6, 1.0)
        draw.line((cx - half, y, cx + half, y), fill=_hsv(hue + 0.08, 0.6, 0.95), width=3)
    return image


def bokeh(rng: random.Random, size=PHOTO_SIZE) -> Image.Image:
    w, h = size
    hue = rng.random()
    image = _gradient(size, _hsv(hue, 0.5, 0.12), _hsv(hue + 0.1, 0.6, 0.3)).convert("RGBA")
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for _ in range(70):
        x, y, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(10, 60)
        colour = _hsv(hue + rng.uniform(-0.15, 0.15), rng.uniform(0.3, 0.8), 1.0)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(*colour, rng.randint(40, 120)))
    layer = layer.filter(ImageFilter.GaussianBlur(4))
    return Image.alpha_composite(image, layer).convert("RGB")


def shapes(rng: random.Random, size=PHOTO_SIZE) -> Image.Image:
    w, h = size
    hue = rng.random()
    image = Image.new("RGB", size, _hsv(hue, 0.12, 0.97))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(9, 16)):
        colour = _hsv(hue + rng.choice((0.0, 0.33, 0.5, 0.66)), rng.uniform(0.4, 0.7), 0.9)
        x, y, s = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(30, 140)
        kind = rng.choice(("circle", "square", "triangle", "ring"))
        if kind == "circle":
            draw.ellipse((x - s, y - s, x + s, y + s), fill=colour)
        elif kind == "ring":
            draw.ellipse((x - s, y - s, x + s, y + s), outline=colour, width=int(s / 5))
        elif kind == "square":
            draw.regular_polygon((x, y, s), 4, rotation=rng.uniform(0, 90), fill=colour)
        else:
            draw.regular_polygon((x, y, s), 3, rotation=rng.uniform(0, 120), fill=colour)
    return image


def waves(rng: random.Random, size=PHOTO_SIZE) -> Image.Image:
    w, h = size
    hue = rng.random()
    image = _gradient(size, _hsv(hue, 0.25, 1.0), _hsv(hue + 0.05, 0.5, 0.9))
    draw = ImageDraw.Draw(image)
    for i in range(6):
        base = h * (0.35 + i * 0.11)
        amp, freq, phase = rng.uniform(10, 35), rng.uniform(1.0, 2.5), rng.uniform(0, 6.3)
        top = [
            (x, base + amp * math.sin(freq * x / w * 2 * math.pi + phase))
            for x in range(0, w + 8, 8)
        ]
        draw.polygon(
            [(0, h), *top, (w, h)], fill=_hsv(hue + 0.5 + i * 0.02, 0.3 + i * 0.1, 0.95 - i * 0.1)
        )
    return image


def bowl(rng: random.Random, size=PHOTO_SIZE) -> Image.Image:
    """Ramen from above: broth, noodles, an egg, nori and spring onion."""
    w, h = size
    image = _gradient(size, (90, 60, 40), (60, 40, 25))
    draw = ImageDraw.Draw(image)
    cx, cy, r = w / 2 + rng.uniform(-60, 60), h / 2, min(w, h) * 0.42
    draw.ellipse(
        (cx - r, cy - r, cx + r, cy + r),
        fill=rng.choice([(200, 40, 40), (240, 240, 235), (30, 30, 30)]),
    )
    r2 = r * 0.86
    broth = rng.choice([(190, 130, 60), (215, 170, 95), (235, 215, 180), (150, 80, 40)])
    draw.ellipse((cx - r2, cy - r2, cx + r2, cy + r2), fill=broth)
    for _ in range(26):  # noodles
        a = rng.uniform(0, 2 * math.pi)
        d = rng.uniform(0, r2 * 0.6)
        x, y = cx + d * math.cos(a), cy + d * math.sin(a)
        draw.arc(
            (x - 60, y - 30, x + 60, y + 30),
            rng.uniform(0, 180),
            rng.uniform(180, 360),
            fill=(245, 220, 140),
            width=5,
        )
    ex, ey = cx + r2 * 0.35, cy - r2 * 0.3  # half an egg
    draw.ellipse((ex - 55, ey - 42, ex + 55, ey + 42), fill=(250, 248, 240))
    draw.ellipse((ex - 28, ey - 22, ex + 28, ey + 22), fill=(245, 160, 30))
    draw.regular_polygon((cx - r2 * 0.45, cy - r2 * 0.2, 70), 4, rotation=20, fill=(25, 45, 30))
    for _ in range(20):
        x, y = cx + rng.uniform(-r2 * 0.5, r2 * 0.5), cy + rng.uniform(r2 * 0.1, r2 * 0.6)
        draw.ellipse(
            (x - 6, y - 6, x + 6, y + 6), fill=(110, 170, 60), outline=(70, 120, 40), width=2
        )
    return image


def cup(rng: random.Random, size=PHOTO_SIZE) -> Image.Image:
    """A cup of coffee on a table, from above, with a heart in the milk."""
    w, h = size
    wood = rng.choice([(170, 125, 85), (120, 85, 60), (225, 215, 200)])
    image = Image.new("RGB", size, wood)
    draw = ImageDraw.Draw(image)
    for y in range(0, h, 18):  # table grain
        draw.line((0, y + rng.uniform(-3, 3), w, y), fill=_mix(wood, (0, 0, 0), 0.08), width=2)
    cx, cy = w / 2 + rng.uniform(-120, 120), h / 2 + rng.uniform(-40, 40)
    draw.ellipse((cx - 230, cy - 230, cx + 230, cy + 230), fill=(245, 244, 240))  # saucer
    draw.ellipse((cx + 150, cy - 40, cx + 250, cy + 40), fill=(245, 244, 240))  # handle
    draw.ellipse((cx - 160, cy - 160, cx + 160, cy + 160), fill=(250, 250, 248))
    draw.ellipse((cx - 135, cy - 135, cx + 135, cy + 135), fill=(130, 80, 45))
    draw.ellipse((cx - 45, cy - 55, cx + 5, cy + 5), fill=(240, 225, 200))
    draw.ellipse((cx - 5, cy - 55, cx + 45, cy + 5), fill=(240, 225, 200))
    draw.polygon([(cx - 44, cy - 20), (cx + 44, cy - 20), (cx, cy + 45)], fill=(240, 225, 200))
    return image.filter(ImageFilter.SMOOTH)


def cat(rng: random.Random, size=PHOTO_SIZE) -> Image.Image:
    """A cat sitting in a sunny window, seen from behind."""
    w, h = size
    image = _gradient(size, (250, 225, 170), (235, 190, 140))
    draw = ImageDraw.Draw(image)
    for x in (w * 0.33, w * 0.66):  # window frame
        draw.rectangle((x - 6, 0, x + 6, h * 0.7), fill=(120, 90, 70))
    draw.rectangle((0, h * 0.7, w, h), fill=(150, 110, 80))
    fur = rng.choice([(40, 40, 40), (230, 150, 70), (130, 130, 130), (245, 240, 230)])
    cx = w * rng.uniform(0.35, 0.65)
    draw.ellipse((cx - 120, h * 0.45, cx + 120, h * 0.9), fill=fur)  # body
    draw.ellipse((cx - 80, h * 0.25, cx + 80, h * 0.52), fill=fur)  # head
    for side in (-1, 1):
        draw.polygon(
            [(cx + side * 75, h * 0.33), (cx + side * 30, h * 0.28), (cx + side * 70, h * 0.16)],
            fill=fur,
        )
    draw.arc((cx + 40, h * 0.62, cx + 240, h * 0.95), 200, 340, fill=fur, width=22)  # tail
    return image


def bread(rng: random.Random, size=PHOTO_SIZE) -> Image.Image:
    """A loaf with its scores, or a tray of buns."""
    w, h = size
    image = Image.new("RGB", size, rng.choice([(235, 230, 220), (60, 60, 65), (200, 215, 225)]))
    draw = ImageDraw.Draw(image)
    crust, crumb = (170, 100, 40), (225, 175, 110)
    if rng.random() < 0.5:
        draw.ellipse((w * 0.15, h * 0.25, w * 0.85, h * 0.8), fill=crust)
        for i in range(3):
            x = w * (0.32 + i * 0.16)
            draw.line((x - 40, h * 0.38, x + 40, h * 0.66), fill=crumb, width=14)
    else:
        for row in range(2):
            for col in range(3):
                x, y = w * (0.25 + col * 0.25), h * (0.33 + row * 0.36)
                draw.ellipse((x - 85, y - 70, x + 85, y + 70), fill=crust)
                draw.ellipse((x - 50, y - 40, x + 20, y), fill=crumb)
    return image.filter(ImageFilter.SMOOTH_MORE)


def terminal(rng: random.Random, size=PHOTO_SIZE) -> Image.Image:
    """A dark editor window with coloured lines of 'code'."""
    w, h = size
    image = Image.new("RGB", size, (30, 33, 40))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, w, 36), fill=(50, 54, 62))
    for i, colour in enumerate(((255, 95, 86), (255, 189, 46), (39, 201, 63))):
        draw.ellipse((16 + i * 26, 10, 32 + i * 26, 26), fill=colour)
    palette = [(198, 120, 221), (97, 175, 239), (152, 195, 121), (229, 192, 123), (171, 178, 191)]
    y, indent = 60, 0
    while y < h - 30:
        indent = max(0, min(4, indent + rng.choice((-1, 0, 0, 1))))
        x = 40 + indent * 32
        for _ in range(rng.randint(1, 4)):
            length = rng.randint(30, 140)
            draw.rounded_rectangle((x, y, x + length, y + 12), 4, fill=rng.choice(palette))
            x += length + 14
        y += 28
    return image


def vinyl(rng: random.Random, size=PHOTO_SIZE) -> Image.Image:
    w, h = size
    hue = rng.random()
    image = _gradient(size, _hsv(hue, 0.3, 0.9), _hsv(hue + 0.1, 0.4, 0.7))
    draw = ImageDraw.Draw(image)
    cx, cy, r = w * rng.uniform(0.4, 0.6), h / 2, h * 0.42
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(18, 18, 20))
    for g in range(int(r * 0.4), int(r), 9):
        draw.ellipse((cx - g, cy - g, cx + g, cy + g), outline=(38, 38, 42), width=1)
    lr = r * 0.33
    draw.ellipse((cx - lr, cy - lr, cx + lr, cy + lr), fill=_hsv(hue + 0.5, 0.7, 0.9))
    draw.ellipse((cx - 8, cy - 8, cx + 8, cy + 8), fill=(240, 240, 240))
    return image


SCENES = {
    "landscape": landscape,
    "sunset": sunset,
    "bokeh": bokeh,
    "shapes": shapes,
    "waves": waves,
    "bowl": bowl,
    "cup": cup,
    "cat": cat,
    "bread": bread,
    "terminal": terminal,
    "vinyl": vinyl,
}


def picture(kind: str, seed: str, size=PHOTO_SIZE) -> bytes:
    """A JPEG of the named kind; the seed picks its colours and layout."""
    return _bytes(SCENES[kind](random.Random(seed), size))


def header(kind: str, seed: str) -> bytes:
    return picture(kind, seed, HEADER_SIZE)


# ### Avatars ###


@cache
def _font(cjk: bool, size: int):
    for path in _CJK_FONTS if cjk else _LATIN_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return None


def avatar(initial: str, fallback: str, hue: float) -> bytes:
    """A coloured circle with an initial: the name's first letter if a font can draw it."""
    size = AVATAR_SIZE
    cjk = not initial.isascii()
    font = _font(cjk, 132)
    if font is None:
        initial = fallback[:1].upper()
        font = _font(False, 132) or ImageFont.load_default(size=132)
    image = Image.new("RGB", (size, size), _hsv(hue, 0.08, 0.98))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, size - 8, size - 8), fill=_hsv(hue, 0.55, 0.85))
    draw.text((size / 2, size / 2), initial, font=font, fill=(255, 255, 255), anchor="mm")
    return _bytes(image, "PNG")
